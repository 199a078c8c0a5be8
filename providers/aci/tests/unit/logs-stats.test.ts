import { describe, expect, it } from 'vitest';

import { linesAfter, parseLogContent } from '../../src/logs.js';
import { CpuTimeLedger, latestUsage, podStats } from '../../src/stats.js';

const stamp = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.5Z`;

describe('ACI log content', () => {
  it('parses timestamped lines and holds back an unfinished last line unless asked', () => {
    const content = `${stamp(1)} one\n${stamp(2)} two words\r\n${stamp(3)} parti`;
    expect(parseLogContent(content, false).map(l => [l.entry.time.toISOString(), l.entry.text])).toEqual([
      ['2026-01-01T00:00:01.500Z', 'one'],
      ['2026-01-01T00:00:02.500Z', 'two words'],
    ]);
    expect(parseLogContent(content, true).at(-1)?.entry.text).toBe('parti');
  });

  it('finds the new lines of a later read: appended, cut at the start, or a new run', () => {
    const read = (...seconds: number[]) =>
      parseLogContent(seconds.map(s => `${stamp(s)} line ${s}\n`).join(''), false);
    const first = read(1, 2, 3);
    const text = (lines: ReturnType<typeof read>) => lines.map(l => l.entry.text);
    expect(text(linesAfter(read(1, 2, 3, 4), 3, first.at(-1)))).toEqual(['line 4']);
    expect(text(linesAfter(read(3, 4, 5), 3, first.at(-1)))).toEqual(['line 4', 'line 5']);
    expect(text(linesAfter(read(7, 8), 3, first.at(-1)))).toEqual(['line 7', 'line 8']);
    expect(text(linesAfter(read(1, 2, 3), 3, first.at(-1)))).toEqual([]);
  });

  it('gives a repeated identical line again when it was written again', () => {
    const same = `${stamp(1)} tick\n`;
    const before = parseLogContent(same, false);
    expect(linesAfter(parseLogContent(same + same, false), 1, before[0]).map(l => l.entry.text)).toEqual([
      'tick',
    ]);
  });
});

describe('stats from Azure Monitor', () => {
  const answer = {
    value: [
      {
        name: { value: 'CpuUsage' },
        timeseries: [
          {
            metadatavalues: [{ name: { value: 'containername' }, value: 'app' }],
            data: [
              { timeStamp: '2026-01-01T00:00:00Z', average: 10 },
              { timeStamp: '2026-01-01T00:01:00Z', average: 25 },
              { timeStamp: '2026-01-01T00:02:00Z' },
            ],
          },
        ],
      },
      {
        name: { value: 'MemoryUsage' },
        timeseries: [
          {
            metadatavalues: [{ name: { value: 'containername' }, value: 'app' }],
            data: [{ timeStamp: '2026-01-01T00:01:00Z', average: 1048576 }],
          },
        ],
      },
    ],
  };

  it('takes the latest averaged point per container', () => {
    expect(latestUsage(answer)).toEqual(
      new Map([['app', { time: new Date('2026-01-01T00:01:00Z'), cpuMillicores: 25, memoryBytes: 1048576 }]]),
    );
  });

  it('sums the reported rate into a CPU time counter', () => {
    const ledger = new CpuTimeLedger();
    expect(ledger.record('a', 250e6, 0)).toBe(0);
    expect(ledger.record('a', 500e6, 2000)).toBe(500e6);
    expect(ledger.record('a', 0, 3000)).toBe(1000e6);
    ledger.retain(new Set());
    expect(ledger.record('a', 0, 4000)).toBe(0);
  });

  it('builds pod stats in the kubelet shape', () => {
    const usage = latestUsage(answer).get('app');
    const now = new Date('2026-01-01T00:01:37Z');
    const stats = podStats(
      { name: 'p', namespace: 'ns', uid: 'u' },
      new Date('2026-01-01T00:00:00Z'),
      [{ name: 'app', startTime: new Date('2026-01-01T00:00:00Z'), usage, cpuTime: 42 }],
      now,
    );
    // Sampled now: metrics-server divides the counter's growth by the time between samples.
    expect(stats.containers[0]).toEqual({
      name: 'app',
      startTime: '2026-01-01T00:00:00.000Z',
      cpu: { time: '2026-01-01T00:01:37.000Z', usageNanoCores: 25e6, usageCoreNanoSeconds: 42 },
      memory: { time: '2026-01-01T00:01:37.000Z', workingSetBytes: 1048576, usageBytes: 1048576 },
    });
    expect(stats.cpu).toEqual({
      time: '2026-01-01T00:01:37.000Z',
      usageNanoCores: 25e6,
      usageCoreNanoSeconds: 42,
    });
  });
});
