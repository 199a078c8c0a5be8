import {
  errorMessage,
  backendCaller,
  InvalidInputError,
  NotFoundError,
  TransientError,
  type BackendCaller,
} from '@vkubelet/provider-kit';

import { NomadApiError } from './client.js';

/**
 * Nomad refused the ACL token: unknown, expired, or without the capability the request needs. Not
 * an errdefs kind on purpose: core retries it with backoff (an operator may fix the token's
 * policy), and its message says what to fix.
 */
export class NomadPermissionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NomadPermissionError';
  }
}

/** Nomad's answer to a job that fails validation: a go-multierror list, sent with status 500. */
const VALIDATION = /^\d+ errors? occurred:/;

/**
 * A Nomad client error as a provider-kit error, so core reacts correctly: 404 is NotFound, a
 * refused job (400, or 500 with Nomad's validation error list) is InvalidInput, 403 a
 * NomadPermissionError naming the token, and everything else (5xx, no leader, network) Transient.
 * Aborts pass through unchanged.
 */
export function toProviderError(error: unknown, operation: string): unknown {
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (!(error instanceof NomadApiError)) {
    const text = errorMessage(error);
    return new TransientError(`nomad ${operation}: ${text}`, { cause: error });
  }
  const message = error.body
    .trim()
    .replace(/\s*\n\s*(\*\s*)?/g, ' ')
    .trim();
  const what = `nomad ${operation}: ${message || `HTTP ${error.status}`}`;
  if (error.status === 404) return new NotFoundError(what, { cause: error });
  if (error.status === 403) {
    return new NomadPermissionError(
      `${what}: the ACL token (NOMAD_TOKEN) is unknown or lacks the capability for this in its namespace`,
      { cause: error },
    );
  }
  if (error.status === 400 || (error.status === 500 && VALIDATION.test(error.body.trim())))
    return new InvalidInputError(what, { cause: error });
  return new TransientError(what, { cause: error });
}

/** The door of every request this provider makes to Nomad. */
export const callNomad: BackendCaller = backendCaller({ system: 'nomad', toError: toProviderError });
