import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { END_OF_HISTORY, type LogItem } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { CriLogJoiner, parseCriLogLine, readCriLog } from '../../src/logs.js';

describe('CRI log lines', () => {
  it('parses time, stream, partial tag and text (text may contain spaces or be empty)', () => {
    expect(parseCriLogLine('2026-01-02T03:04:05.123456789Z stdout F hello  world')).toEqual({
      time: new Date('2026-01-02T03:04:05.123Z'),
      stream: 'stdout',
      partial: false,
      text: 'hello  world',
    });
    expect(parseCriLogLine('2026-01-02T03:04:05Z stderr P ')?.partial).toBe(true);
    expect(parseCriLogLine('2026-01-02T03:04:05Z stderr F')?.text).toBe('');
    expect(parseCriLogLine('garbage')).toBeUndefined();
    expect(parseCriLogLine('2026-01-02T03:04:05Z stdin F x')).toBeUndefined();
  });

  it('joins partial lines per stream, keeping the first part time', () => {
    const joiner = new CriLogJoiner();
    const line = (s: string) => parseCriLogLine(s)!;
    expect(joiner.push(line('2026-01-01T00:00:01Z stdout P abc'))).toBeUndefined();
    expect(joiner.push(line('2026-01-01T00:00:02Z stderr F err'))?.text).toBe('err');
    expect(joiner.push(line('2026-01-01T00:00:03Z stdout F def'))).toEqual({
      time: new Date('2026-01-01T00:00:01Z'),
      text: 'abcdef',
      stream: 'stdout',
    });
  });
});

describe('readCriLog', () => {
  it('reads history, marks its end, then follows new lines until aborted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vk-cri-logs-'));
    const path = join(dir, '0.log');
    await writeFile(path, '2026-01-01T00:00:01Z stdout F one\n2026-01-01T00:00:02Z stdout P tw');
    const controller = new AbortController();
    const items: LogItem[] = [];
    const reading = (async () => {
      for await (const item of readCriLog(path, { follow: true, signal: controller.signal, pollMs: 20 })) {
        items.push(item);
        if (items.length === 3) controller.abort();
      }
    })();
    await new Promise(r => setTimeout(r, 100));
    await appendFile(path, 'o\n2026-01-01T00:00:03Z stdout F\n');
    await reading;
    expect(items.map(i => (i === END_OF_HISTORY ? 'END' : i.text))).toEqual(['one', 'END', 'two']);
  });

  it('stops following once the container no longer runs and the file is drained', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vk-cri-logs-'));
    const path = join(dir, '0.log');
    await writeFile(path, '2026-01-01T00:00:01Z stdout F only\n');
    const items: LogItem[] = [];
    for await (const item of readCriLog(path, {
      follow: true,
      signal: AbortSignal.timeout(5_000),
      isRunning: () => false,
    })) {
      items.push(item);
    }
    expect(items.map(i => (i === END_OF_HISTORY ? 'END' : i.text))).toEqual(['only', 'END']);
  });
});
