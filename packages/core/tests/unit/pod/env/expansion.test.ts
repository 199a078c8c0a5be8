import { describe, expect, it } from 'vitest';

import { expandVariables, lookupIn } from '../../../../src/pod/env/expansion.js';

const lookup = lookupIn(
  new Map([
    ['A', 'x'],
    ['EMPTY', ''],
  ]),
  new Map([
    ['A', 'shadowed'],
    ['B', 'y'],
  ]),
);

describe('expandVariables', () => {
  it.each([
    ['$(A)-$(B)', 'x-y'],
    ['$(EMPTY)!', '!'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$x'],
    ['a$', 'a$'],
    ['$(A', '$(A'],
    ['$x$(A)', '$xx'],
    ['no vars', 'no vars'],
  ])('%s -> %s', (input, expected) => {
    expect(expandVariables(input, lookup)).toBe(expected);
  });
});
