import { describe, expect, it } from 'vitest';

import {
  applyLogOptions,
  END_OF_HISTORY,
  formatRfc3339Nano,
  type ContainerLogOptions,
  type LogItem,
} from '../../src/index.js';

const t = (s: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, s));
const history: LogItem[] = [
  { time: t(1), text: 'one' },
  { time: t(2), text: 'two' },
  { time: t(3), text: 'three' },
];
const base: ContainerLogOptions = { timestamps: false, follow: false, previous: false };

async function apply(items: LogItem[], options: Partial<ContainerLogOptions>, now = t(10)): Promise<string> {
  async function* source() {
    yield* items;
  }
  let out = '';
  for await (const chunk of applyLogOptions(source(), { ...base, ...options }, now)) out += chunk.toString();
  return out;
}

describe('applyLogOptions', () => {
  it('passes every line through without options', async () => {
    expect(await apply(history, {})).toBe('one\ntwo\nthree\n');
  });

  it('tails the history only, and live lines after END_OF_HISTORY all pass', async () => {
    expect(await apply(history, { tailLines: 2 })).toBe('two\nthree\n');
    expect(await apply(history, { tailLines: 0 })).toBe('');
    const live = [
      ...history,
      END_OF_HISTORY,
      { time: t(4), text: 'four' },
      { time: t(5), text: 'five' },
    ] as LogItem[];
    expect(await apply(live, { tailLines: 1, follow: true })).toBe('three\nfour\nfive\n');
  });

  it('filters by sinceTime, and by sinceSeconds relative to now', async () => {
    expect(await apply(history, { sinceTime: t(2) })).toBe('two\nthree\n');
    expect(await apply(history, { sinceSeconds: 8 }, t(10))).toBe('two\nthree\n');
  });

  it('cuts at limitBytes mid-line and stops reading', async () => {
    let pulled = 0;
    async function* counting() {
      for (const item of history) {
        pulled++;
        yield item;
      }
    }
    let out = '';
    for await (const chunk of applyLogOptions(counting(), { ...base, limitBytes: 6 }))
      out += chunk.toString();
    expect(out).toBe('one\ntw');
    expect(pulled).toBe(2);
  });

  it('prefixes RFC 3339 timestamps with trailing zeros trimmed, as Go formats them', async () => {
    expect(await apply(history.slice(0, 1), { timestamps: true })).toBe('2026-01-02T03:04:01Z one\n');
    expect(formatRfc3339Nano(new Date('2026-01-02T03:04:05.120Z'))).toBe('2026-01-02T03:04:05.12Z');
  });
});
