import { describe, expect, it } from 'vitest';

import { StringPool } from '../../../src/cache/string-pool.js';

describe('StringPool', () => {
  it('keeps every value as it was, in nested objects and arrays', () => {
    const pool = new StringPool();
    const pod = JSON.parse(
      '{"kind":"Pod","metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[{"args":["a","b"],"ports":[{"containerPort":80}]}]},"status":{"podIPs":[{"ip":"10.0.0.1"}],"ready":true,"x":null}}',
    ) as unknown;
    const copy = structuredClone(pod);
    pool.internAll(pod);
    expect(pod).toStrictEqual(copy);
    expect(pool.size).toBe(6); // Pod, p, web, a, b, 10.0.0.1
  });

  it('leaves long strings out and stays bounded by two generations', () => {
    const pool = new StringPool({ capacity: 100, maxLength: 10 });
    expect(pool.intern('x'.repeat(11))).toBe('x'.repeat(11));
    expect(pool.size).toBe(0);
    for (let i = 0; i < 1000; i++) expect(pool.intern(`v${i}`)).toBe(`v${i}`);
    expect(pool.size).toBeLessThanOrEqual(200);
    expect(pool.size).toBeGreaterThanOrEqual(100);
  });
});
