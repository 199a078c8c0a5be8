import { describe, expect, it } from 'vitest';

import { execMode } from '../../src/streams/exec.js';
import { terminalInput } from '../../src/streams/session.js';
import { ShellMarker, shellQuote } from '../../src/streams/shell-marker.js';
import { TerminalNewlines } from '../../src/streams/terminal-output.js';

/** The nonce a marker prints, read back from the line it types. */
function nonceOf(marker: ShellMarker): string {
  return /echo "(vk[0-9a-f]+)""S"/.exec(marker.line(['true']))![1]!;
}

describe('ShellMarker', () => {
  it('types the command quoted between markers the shell echo cannot contain', () => {
    const marker = new ShellMarker();
    const n = nonceOf(marker);
    const line = marker.line(['sh', '-c', "echo 'it''s'; exit 7"]);
    expect(line).toBe(
      `stty -echo 2>/dev/null; echo "${n}""S"; 'sh' '-c' 'echo '\\''it'\\'''\\''s'\\''; exit 7'; echo "${n}""E $?"; exit\r`,
    );
    expect(line).not.toContain(`${n}S`);
    expect(line).not.toContain(`${n}E `);
  });

  it('drops prompt, echo and complaints before the start, passes output, and reads the status', () => {
    const marker = new ShellMarker();
    const n = nonceOf(marker);
    const typed = marker.line(['echo', 'hi']);
    const stream = `# ${typed}\nsh: stty: not found\r\n${n}S\r\nhi\r\nsecond\r\n${n}E 3\r\nexit\r\n`;
    // Any split of the stream gives the same result.
    for (const size of [1, 2, 5, 13, stream.length]) {
      const m = new ShellMarker(n);
      let output = '';
      for (let i = 0; i < stream.length; i += size) output += m.push(stream.slice(i, i + size));
      expect({ size, output, code: m.exitCode }).toEqual({ size, output: 'hi\r\nsecond\r\n', code: 3 });
    }
  });

  it('keeps output on the marker line when the command ended without a newline', () => {
    const marker = new ShellMarker();
    const n = nonceOf(marker);
    expect(marker.push(`${n}S\npartial${n}E 0\n`)).toBe('partial');
    expect(marker.exitCode).toBe(0);
  });

  it('gives back what it held when the session ends without an end marker', () => {
    const marker = new ShellMarker();
    const n = nonceOf(marker);
    expect(marker.push(`${n}S\nout ${n.slice(0, 3)}`)).toBe('out ');
    expect(marker.flush()).toBe(n.slice(0, 3));
    expect(marker.exitCode).toBeUndefined();
  });

  it('quotes words for sh', () => {
    expect(shellQuote("a'b c")).toBe("'a'\\''b c'");
  });
});

describe('terminal output and input', () => {
  it('turns CR LF into LF for clients without a terminal, across chunks', () => {
    const lf = new TerminalNewlines(true);
    expect(lf.push('a\r') + lf.push('\nb\r\n') + lf.push('c\r') + lf.flush()).toBe('a\nb\nc\r');
    expect(new TerminalNewlines(false).push('a\r\n')).toBe('a\r\n');
  });

  it('ends stdin with Ctrl-D, twice after an unfinished line', () => {
    const complete = terminalInput();
    complete.stdin(Buffer.from('line\n'));
    expect([...(complete.stdinEnd!() as Buffer)]).toEqual([4]);
    const partial = terminalInput();
    partial.stdin(Buffer.from('no newline'));
    expect([...(partial.stdinEnd!() as Buffer)]).toEqual([4, 4]);
  });

  it('marks every command unless it is one word with stdin (it owns the terminal) or marking is off', () => {
    const stdin = { stdin: process.stdin };
    expect(execMode({ exitCode: 'shell' }, ['sh', '-c', 'exit 3'], {})).toBe('marked');
    expect(execMode({ exitCode: 'shell' }, ['false'], {})).toBe('marked');
    expect(execMode({ exitCode: 'shell' }, ['sh', '-c', 'cat'], stdin)).toBe('marked');
    expect(execMode({ exitCode: 'shell' }, ['cat'], stdin)).toBe('direct');
    expect(execMode({ exitCode: 'none' }, ['sh', '-c', 'exit 3'], {})).toBe('direct');
  });
});
