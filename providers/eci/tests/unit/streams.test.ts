import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';

import { describe, expect, it } from 'vitest';

import { parseLogContent, unseenLines } from '../../src/streams/logs.js';
import { newNonce, sentinelCommand, SentinelFilter, splitSentinel } from '../../src/streams/sentinel.js';

describe('exit-code sentinel', () => {
  const nonce = 'vkubelet-exit-0123456789abcdef01234567';

  it('wraps the command as "$@" of a shell, each item kept as it is', () => {
    expect(sentinelCommand(['sh', '-c', "echo 'a b'; exit 3"], nonce)).toEqual([
      'sh',
      '-c',
      `"$@"; echo ${nonce} $?`,
      'sh',
      'sh',
      '-c',
      "echo 'a b'; exit 3",
    ]);
    expect(newNonce()).toMatch(/^vkubelet-exit-[0-9a-f]{24}$/);
    expect(newNonce()).not.toBe(newNonce());
  });

  it('splits a Sync answer into the output and the exit code', () => {
    expect(splitSentinel(`out\nerr\n${nonce} 7\n`, nonce)).toEqual({ output: 'out\nerr\n', exitCode: 7 });
    // Output without a final newline runs into the sentinel.
    expect(splitSentinel(`no newline${nonce} 0\n`, nonce)).toEqual({ output: 'no newline', exitCode: 0 });
    // Cut short: no sentinel, no exit code.
    expect(splitSentinel('partial', nonce)).toEqual({ output: 'partial' });
  });

  it('strips the sentinel from a stream split anywhere, holding back only what could start it', async () => {
    const text = `line 1\nvkubelet-exit is not it\nlast${nonce} 42\n`;
    for (let size = 1; size <= text.length; size += 3) {
      const filter = new SentinelFilter(nonce);
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      filter.pipe(out);
      for (let i = 0; i < text.length; i += size) filter.write(Buffer.from(text.slice(i, i + size)));
      filter.end();
      await finished(out);
      expect(Buffer.concat(chunks).toString()).toBe('line 1\nvkubelet-exit is not it\nlast');
      expect(filter.exitCode).toBe(42);
    }
  });

  it('passes everything through when the sentinel never comes', async () => {
    const filter = new SentinelFilter(nonce);
    const chunks: Buffer[] = [];
    filter.on('data', (chunk: Buffer) => chunks.push(chunk));
    filter.end(Buffer.from('cut short vkubelet-ex'));
    await finished(filter);
    expect(Buffer.concat(chunks).toString()).toBe('cut short vkubelet-ex');
    expect(filter.exitCode).toBeUndefined();
  });
});

describe('logs', () => {
  it('parses timestamped lines; an unreadable time reads as now', () => {
    const lines = parseLogContent(
      '2026-01-02T03:04:05.123Z hello world\n2026-01-02T03:04:06Z \nno-time here\n',
    );
    expect(lines.slice(0, 2)).toEqual([
      {
        time: new Date('2026-01-02T03:04:05.123Z'),
        text: 'hello world',
        ms: Date.parse('2026-01-02T03:04:05.123Z'),
      },
      { time: new Date('2026-01-02T03:04:06Z'), text: '', ms: Date.parse('2026-01-02T03:04:06Z') },
    ]);
    expect(lines[2]?.text).toBe('no-time here');
  });

  it('a follow poll yields only the lines after the cursor and those at it not yet yielded', () => {
    const read = parseLogContent(
      [
        '2026-01-02T03:04:05Z a',
        '2026-01-02T03:04:05Z b',
        '2026-01-02T03:04:05Z c',
        '2026-01-02T03:04:06Z d',
      ].join('\n'),
    );
    const cursor = Date.parse('2026-01-02T03:04:05Z');
    expect(unseenLines(read, cursor, 2).map(line => line.text)).toEqual(['c', 'd']);
    expect(unseenLines(read, cursor, 0).map(line => line.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(unseenLines(read, Date.parse('2026-01-02T03:04:06Z'), 1)).toEqual([]);
    expect(unseenLines(read, undefined, 0)).toHaveLength(4);
  });
});
