import { describe, expect, it } from 'vitest';

import { countsOf, formatCounts } from '../../src/test-summary.ts';

describe('test summary', () => {
  it('counts skipped and todo as skipped, and a file that did not load as a failure', () => {
    const counts = countsOf({
      numPassedTests: 5,
      numFailedTests: 1,
      numPendingTests: 2,
      numTodoTests: 1,
      testResults: [
        { name: 'a', status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'passed' }] },
        { name: 'b', status: 'failed', message: 'import failed', assertionResults: [] },
        { name: 'c', status: 'passed', assertionResults: [{ status: 'passed' }] },
      ],
    });
    expect(formatCounts(counts)).toBe('5 passed, 2 failed, 3 skipped');
  });
});
