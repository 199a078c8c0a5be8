import { describe, expect, it } from 'vitest';

import { parseDuration } from '../../../src/cli/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1_500],
    ['4h', 14_400_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'abc', '5 s', '1d', '-1s'])('rejects %j with the value in the message', text => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});
