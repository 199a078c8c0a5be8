import { END_OF_HISTORY, type ContainerLogOptions, type LogItem } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { HttpError } from '../../../src/http/errors.js';
import { applyLogOptions, formatRfc3339Nano } from '@vkubelet/provider-kit';
import { parseContainerLogOptions } from '../../../src/http/logs/options.js';

const parse = (query: string): ContainerLogOptions => parseContainerLogOptions(new URLSearchParams(query));

function badRequest(query: string): string {
  try {
    parse(query);
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).statusCode).toBe(400);
    return (err as HttpError).message;
  }
  throw new Error(`${query} was accepted`);
}

describe('parseContainerLogOptions', () => {
  it('defaults every flag to false and every limit to unset', () => {
    expect(parse('')).toEqual({ follow: false, previous: false, timestamps: false });
  });

  it('reads every option', () => {
    expect(parse('follow=true&previous=1&timestamps=True&tailLines=0&limitBytes=10&sinceSeconds=5')).toEqual({
      follow: true,
      previous: true,
      timestamps: true,
      tailLines: 0,
      limitBytes: 10,
      sinceSeconds: 5,
    });
    expect(parse('sinceTime=2024-05-06T07:08:09.5%2B02:00').sinceTime).toEqual(
      new Date('2024-05-06T05:08:09.500Z'),
    );
  });

  it.each([
    ['tailLines=-1', /tailLines/],
    ['tailLines=abc', /tailLines/],
    ['limitBytes=0', /limitBytes/],
    ['sinceSeconds=0', /sinceSeconds/],
    ['sinceSeconds=1.5', /sinceSeconds/],
    ['follow=yes', /follow/],
    ['timestamps=2', /timestamps/],
    ['sinceTime=2024-05-06', /sinceTime/],
    ['sinceTime=yesterday', /sinceTime/],
    ['sinceSeconds=10&sinceTime=2024-05-06T07:08:09Z', /sinceTime or sinceSeconds/],
  ])('rejects %s with a 400', (query, message) => {
    expect(badRequest(query)).toMatch(message);
  });
});

describe('formatRfc3339Nano', () => {
  it('trims trailing zeros of the fraction like Go', () => {
    expect(formatRfc3339Nano(new Date('2024-01-02T03:04:05.600Z'))).toBe('2024-01-02T03:04:05.6Z');
    expect(formatRfc3339Nano(new Date('2024-01-02T03:04:05.000Z'))).toBe('2024-01-02T03:04:05Z');
    expect(formatRfc3339Nano(new Date('2024-01-02T03:04:05.123Z'))).toBe('2024-01-02T03:04:05.123Z');
  });
});

const at = (second: number): Date => new Date(Date.UTC(2024, 0, 1, 0, 0, second));
const line = (second: number, text = `line ${second}`): LogItem => ({ time: at(second), text });

async function* itemsOf(items: LogItem[]): AsyncGenerator<LogItem> {
  for (const item of items) yield await Promise.resolve(item);
}

async function collect(
  items: LogItem[],
  options: Partial<ContainerLogOptions>,
  now = at(100),
): Promise<string> {
  const full: ContainerLogOptions = { follow: false, previous: false, timestamps: false, ...options };
  const chunks: Buffer[] = [];
  for await (const chunk of applyLogOptions(itemsOf(items), full, now)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('applyLogOptions', () => {
  const history: LogItem[] = [line(1), line(2), line(3), line(4)];

  it('passes lines through with a newline each', async () => {
    expect(await collect(history, {})).toBe('line 1\nline 2\nline 3\nline 4\n');
  });

  it('keeps the last tailLines lines', async () => {
    expect(await collect(history, { tailLines: 2 })).toBe('line 3\nline 4\n');
    expect(await collect(history, { tailLines: 0 })).toBe('');
    expect(await collect(history, { tailLines: 10 })).toBe('line 1\nline 2\nline 3\nline 4\n');
  });

  it('applies tailLines to the history only when following', async () => {
    const items: LogItem[] = [...history, END_OF_HISTORY, line(5), line(6), line(7)];
    expect(await collect(items, { tailLines: 1, follow: true })).toBe('line 4\nline 5\nline 6\nline 7\n');
    expect(await collect(items, { tailLines: 0, follow: true })).toBe('line 5\nline 6\nline 7\n');
  });

  it('filters by sinceTime and sinceSeconds', async () => {
    expect(await collect(history, { sinceTime: at(3) })).toBe('line 3\nline 4\n');
    expect(await collect(history, { sinceSeconds: 98 }, at(100))).toBe('line 2\nline 3\nline 4\n');
  });

  it('applies since before tail', async () => {
    expect(await collect(history, { sinceTime: at(3), tailLines: 5 })).toBe('line 3\nline 4\n');
  });

  it('prefixes RFC 3339 timestamps', async () => {
    expect(await collect([line(1, 'a')], { timestamps: true })).toBe('2024-01-01T00:00:01Z a\n');
  });

  it('cuts the output at limitBytes, mid-line, and stops', async () => {
    expect(await collect(history, { limitBytes: 9 })).toBe('line 1\nli');
    expect(await collect(history, { limitBytes: 7 })).toBe('line 1\n');
    expect(await collect(history, { limitBytes: 3, timestamps: true })).toBe('202');
  });

  it('stops reading the provider once the limit is reached', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<LogItem> {
      for (;;) {
        pulled += 1;
        yield await Promise.resolve(line(1, 'x'));
      }
    }
    const chunks: Buffer[] = [];
    const options: ContainerLogOptions = { follow: true, previous: false, timestamps: false, limitBytes: 5 };
    for await (const chunk of applyLogOptions(endless(), options)) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('x\nx\nx');
    expect(pulled).toBe(3);
  });
});
