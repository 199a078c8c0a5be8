import { describe, expect, it } from 'vitest';

import { reportName } from '../../src/api-report.ts';

describe('API report names', () => {
  it('are the unscoped package name, plus the subpath for subpath exports', () => {
    expect(reportName('@vkubelet/core', '.')).toBe('core');
    expect(reportName('@vkubelet/core', './spdy')).toBe('core-spdy');
    expect(reportName('@vkubelet/provider-kit', './mock')).toBe('provider-kit-mock');
    expect(reportName('plain', './a/b.c')).toBe('plain-a-b-c');
  });
});
