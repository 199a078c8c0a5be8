import { errorMessage, isInvalidInput, isNotFound, isTransient } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { NomadApiError } from '../../src/nomad/client.js';
import { NomadPermissionError, toProviderError } from '../../src/nomad/errors.js';

const answer = (status: number, body: string) =>
  toProviderError(new NomadApiError(status, body, 'GET', '/v1/x'), 'read job');

describe('Nomad errors → provider errors', () => {
  it('404 is NotFound, 400 and the validation list are InvalidInput', () => {
    expect(isNotFound(answer(404, 'job not found'))).toBe(true);
    expect(isInvalidInput(answer(400, 'Must provide task name'))).toBe(true);
    const invalid = answer(500, '1 error occurred:\n\t* Task group pod validation failed: bad\n\n');
    expect(isInvalidInput(invalid)).toBe(true);
    expect(errorMessage(invalid)).toBe(
      'nomad read job: 1 error occurred: Task group pod validation failed: bad',
    );
  });

  it('403 names the token, without a retryable kind hiding it', () => {
    const denied = answer(403, 'Permission denied');
    expect(denied).toBeInstanceOf(NomadPermissionError);
    expect(isTransient(denied)).toBe(false);
    expect(errorMessage(denied)).toContain('the ACL token (NOMAD_TOKEN) is unknown or lacks the capability');
  });

  it('no leader, other 5xx and network failures are Transient; aborts pass through', () => {
    expect(isTransient(answer(500, 'No cluster leader'))).toBe(true);
    expect(isTransient(answer(503, ''))).toBe(true);
    expect(isTransient(toProviderError(new Error('connect ECONNREFUSED 127.0.0.1:4646'), 'list jobs'))).toBe(
      true,
    );
    const abort = new DOMException('aborted', 'AbortError');
    expect(toProviderError(abort, 'list jobs')).toBe(abort);
  });
});
