import { describe, expect, expectTypeOf, it } from 'vitest';

import { enumSchema, validateConfig } from '../../../src/index.js';

describe('enumSchema', () => {
  const mode = enumSchema(['safe', 'fast']);

  it('accepts its values and refuses others, naming the allowed ones', () => {
    expect(mode.parse('fast')).toBe('fast');
    expect(() => validateConfig(mode, 'quick', 'test config')).toThrow(/"safe"\|"fast"/);
  });

  it('keeps the values in the order given (options, types)', () => {
    expect(mode.options).toEqual(['safe', 'fast']);
    expectTypeOf(mode.parse('safe')).toEqualTypeOf<'safe' | 'fast'>();
  });
});
