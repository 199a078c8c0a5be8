import { describe, expect, it, vi } from 'vitest';

import { releaseStartupMemory } from '../../../src/cli/release-startup-memory.js';

describe('releaseStartupMemory', () => {
  it('runs one synchronous last-resort collection when gc is exposed', () => {
    const gc = vi.fn();
    expect(releaseStartupMemory({ gc })).toBe(true);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  });

  it('does nothing without --expose-gc', () => {
    expect(releaseStartupMemory({})).toBe(false);
  });
});
