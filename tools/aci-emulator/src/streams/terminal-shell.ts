import type { Writable } from 'node:stream';

import { execInContainer, writeWithBackpressure, type ContainerRun } from '@vkubelet/provider-kit/mock';

export const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash', 'ash', '/bin/ash']);

const ETX = 0x03; // Ctrl-C
const EOT = 0x04; // Ctrl-D
const BACKSPACE = new Set([0x08, 0x7f]);
const PROMPT = '# ';
/** A line that is only `exit [N]`, or a line with an `exit` statement in it. */
const EXIT_ONLY = /^\s*exit(?:\s+(\S+))?\s*$/;
const HAS_EXIT = /(^|[;&|]\s*)exit\b/;

/**
 * An interactive shell on a terminal, which is what `az container exec --exec-command /bin/sh` gets:
 * the terminal echoes what is typed (Enter arrives as CR), the shell prompts, runs each line with
 * the mock's shell (`sh -c LINE`, with `$?` standing for the last status), and ends on `exit [N]` or
 * Ctrl-D on an empty line. Ctrl-C interrupts the running command. Commands get no input of their
 * own. Resolves with the shell's exit status, which nothing sends to the client (ACI has no way to).
 */
export async function runTerminalShell(
  run: ContainerRun,
  input: AsyncIterable<Buffer>,
  output: Writable,
  signal: AbortSignal,
): Promise<number> {
  const write = (text: string) => writeWithBackpressure(output, text, signal);
  const pending: number[] = [];
  let inputEnded = false;
  let wake: (() => void) | undefined;
  let command: AbortController | undefined;
  void (async () => {
    for await (const chunk of input) {
      for (const byte of chunk) {
        if (byte === ETX && command) command.abort();
        else pending.push(byte);
      }
      wake?.();
    }
    inputEnded = true;
    wake?.();
  })().catch(() => undefined);
  const next = async (): Promise<number | undefined> => {
    while (pending.length === 0 && !inputEnded && !signal.aborted) {
      await new Promise<void>(resolve => (wake = resolve));
    }
    return pending.shift();
  };

  let status = 0;
  let line = '';
  let previous: number | undefined;
  await write(PROMPT);
  for (let byte = await next(); byte !== undefined && !signal.aborted; byte = await next()) {
    const afterCarriageReturn = previous === 0x0d;
    previous = byte;
    if (byte === 0x0a && afterCarriageReturn) continue; // CR LF from the client is one Enter
    if (byte === EOT) {
      if (line === '') return status;
      continue;
    }
    if (byte === ETX) {
      line = '';
      await write(`^C\n${PROMPT}`);
      continue;
    }
    if (BACKSPACE.has(byte)) {
      if (line) {
        line = line.slice(0, -1);
        await write('\b \b');
      }
      continue;
    }
    if (byte !== 0x0d && byte !== 0x0a) {
      const text = String.fromCharCode(byte);
      line += text;
      await write(text);
      continue;
    }
    await write('\n');
    const typed = line.replaceAll('$?', String(status));
    line = '';
    const exit = EXIT_ONLY.exec(typed);
    if (exit) return exit[1] === undefined ? status : Number(exit[1]) & 0xff;
    if (typed.trim()) {
      command = new AbortController();
      try {
        status = await execInContainer(
          run,
          ['sh', '-c', typed],
          { stdout: output, tty: true },
          AbortSignal.any([signal, command.signal]),
        );
      } catch {
        if (signal.aborted) return 130;
        status = 130;
        await write('^C\n');
      }
      command = undefined;
      if (HAS_EXIT.test(typed)) return status;
    }
    await write(PROMPT);
  }
  return status;
}
