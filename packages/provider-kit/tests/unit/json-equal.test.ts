import { describe, expect, it } from 'vitest';

import { jsonAtSeconds, jsonEqual, jsonEqualAsStored, jsonEqualAtSeconds } from '../../src/json-equal.js';

describe.each([
  ['jsonEqual', jsonEqual],
  ['jsonEqualAtSeconds', jsonEqualAtSeconds],
])('%s', (_name, equal) => {
  it('compares like JSON: undefined keys are absent, null is a value', () => {
    expect(equal({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(equal({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(equal({ a: null }, {})).toBe(false);
    expect(equal({}, { a: null })).toBe(false);
    expect(equal([undefined], [null])).toBe(true);
    expect(equal(undefined, null)).toBe(true);
  });

  it('looks into nested objects and arrays, in order', () => {
    expect(equal({ a: [{ b: 'x' }, 2] }, { a: [{ b: 'x' }, 2] })).toBe(true);
    expect(equal({ a: [{ b: 'x' }, 2] }, { a: [{ b: 'y' }, 2] })).toBe(false);
    expect(equal([1, 2], [2, 1])).toBe(false);
    expect(equal([1], [1, 2])).toBe(false);
    expect(equal({ a: [] }, { a: {} })).toBe(false);
    expect(equal('1', 1)).toBe(false);
  });

  it('compares a Date with its JSON form', () => {
    expect(equal(new Date('2026-11-22T05:40:00.000Z'), '2026-11-22T05:40:00.000Z')).toBe(true);
  });
});

describe('time precision', () => {
  const date = new Date('2026-11-22T05:40:00.123Z');

  it('jsonEqualAtSeconds ignores fractions of a second, as the API server does', () => {
    expect(jsonEqualAtSeconds(date, '2026-11-22T05:40:00Z')).toBe(true);
    expect(jsonEqualAtSeconds('2026-11-22T05:40:00.999999Z', '2026-11-22T05:40:00Z')).toBe(true);
    expect(jsonEqualAtSeconds({ at: date }, { at: '2026-11-22T05:40:01Z' })).toBe(false);
    expect(jsonEqualAtSeconds('not a time.5Z', 'not a timeZ')).toBe(false);
  });

  it('jsonEqual keeps them', () => {
    expect(jsonEqual(date, '2026-11-22T05:40:00Z')).toBe(false);
    expect(jsonEqual('2026-11-22T05:40:00.5Z', '2026-11-22T05:40:00Z')).toBe(false);
  });
});

describe('jsonEqualAsStored', () => {
  it('takes the null and empty-object fields the API server writes for absent ones', () => {
    expect(
      jsonEqualAsStored(
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-11-22T05:40:00Z' },
        { type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-11-22T05:40:00.250Z') },
      ),
    ).toBe(true);
    expect(
      jsonEqualAsStored([{ name: 'app', lastState: {}, ready: true }], [{ name: 'app', ready: true }]),
    ).toBe(true);
    expect(jsonEqualAsStored({ lastState: { terminated: { exitCode: 1 } } }, {})).toBe(false);
    expect(jsonEqualAsStored({ ready: false }, {})).toBe(false);
    expect(jsonEqualAsStored({ list: [] }, {})).toBe(false);
  });
});

describe('jsonAtSeconds', () => {
  it('copies what JSON.stringify keeps, with times at second precision', () => {
    const value = {
      at: new Date('2026-11-22T05:40:00.250Z'),
      text: '2026-11-22T05:40:01.999Z',
      plain: 'a.5Z',
      gone: undefined,
      fn: () => 1,
      list: [undefined, 1, { nested: new Date('2026-11-22T05:40:02Z') }],
      nan: Number.NaN,
      none: null,
    };
    const copy = jsonAtSeconds(value);
    expect(copy).toEqual({
      at: '2026-11-22T05:40:00Z',
      text: '2026-11-22T05:40:01Z',
      plain: 'a.5Z',
      list: [null, 1, { nested: '2026-11-22T05:40:02Z' }],
      nan: null,
      none: null,
    });
    expect(Object.keys(copy as object)).not.toContain('gone');
    // The same as the JSON round trip with a reviver that it replaces.
    const roundTrip = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
      typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/.test(v)
        ? `${v.slice(0, v.indexOf('.'))}Z`
        : v,
    );
    expect(copy).toStrictEqual(roundTrip);
    expect((copy as { list: unknown[] }).list).not.toBe(value.list);
  });
});
