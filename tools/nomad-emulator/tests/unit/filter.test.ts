import { describe, expect, it } from 'vitest';

import { compileFilter } from '../../src/http/filter.js';

const alloc = {
  JobID: 'web',
  ClientStatus: 'running',
  Tags: ['a', 'b'],
  TaskStates: { main: { State: 'running' } },
  Meta: { 'pod-uid': '123' },
};

describe('compileFilter (go-bexpr subset)', () => {
  it.each([
    ['JobID == "web"', true],
    ['JobID != "web"', false],
    ['ClientStatus == "running" and JobID == "web"', true],
    ['ClientStatus == "failed" or JobID == "web"', true],
    ['not (JobID == "web")', false],
    ['"a" in Tags', true],
    ['"c" not in Tags', true],
    ['TaskStates.main.State == "running"', true],
    ['Meta["pod-uid"] == "123"', true],
    ['JobID matches "^w.b$"', true],
    ['JobID contains "e"', true],
    ['Meta is not empty', true],
    ['Missing is empty', true],
  ])('%s → %s', (expression, expected) => {
    expect(compileFilter(expression)(alloc)).toBe(expected);
  });

  it('refuses a malformed expression with 400', () => {
    expect(() => compileFilter('JobID ==')).toThrow(/failed to read filter expression/);
    expect(() => compileFilter('JobID ~ "x"')).toThrow(/unknown operator/);
  });
});
