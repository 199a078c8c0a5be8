import { describe, expect, it } from 'vitest';

import { apiEqual } from '../../src/equal.js';

describe('apiEqual', () => {
  it('compares JSON-shaped values structurally, undefined fields counting as absent', () => {
    expect(apiEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(apiEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(apiEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(apiEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(apiEqual({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(apiEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(apiEqual({}, { a: 0 })).toBe(false);
  });

  it('compares times by instant, as Dates or RFC 3339 strings', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    expect(apiEqual({ t }, { t: new Date(t.getTime()) })).toBe(true);
    expect(apiEqual({ t }, { t: '2026-01-01T00:00:00Z' })).toBe(true);
    expect(apiEqual({ t }, { t: new Date(t.getTime() + 1) })).toBe(false);
    expect(apiEqual({ t: new Date(Number.NaN) }, { t: new Date(Number.NaN) })).toBe(false);
  });
});
