import { describe, expect, it } from 'vitest';

import { microTime } from '../../../src/node/micro-time.js';

describe('microTime', () => {
  it('formats RFC 3339 with six fractional digits', () => {
    expect(microTime(new Date('2026-11-22T03:04:05.678Z'))).toBe('2026-11-22T03:04:05.678000Z');
  });
});
