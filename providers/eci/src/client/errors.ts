import {
  backendCaller,
  InvalidInputError,
  NotFoundError,
  TransientError,
  type BackendCaller,
} from '@vkubelet/provider-kit';

/** What went wrong with one ECI request, in the terms that decide what to do about it. */
export interface EciFailure {
  kind: 'throttled' | 'unavailable' | 'busy' | 'not-found' | 'invalid' | 'credentials' | 'other';
  /** ECI's error code (`Throttling.User`, `InvalidParameter`), or the network error's code. */
  code: string;
  /** One line, without the request URL (pop-core puts the signed query, key ID and token there). */
  message: string;
}

/** An error answer as pop-core throws it. */
interface PopError {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  data?: { Code?: string; Message?: string; RequestId?: string };
  entry?: { response?: { statusCode?: number } };
}

const CREDENTIAL_CODES = [
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidSecurityToken',
  'Forbidden',
  'NoPermission',
];
/** `*.NotFound` codes that are not about a group: the request itself or the config is wrong. */
const INVALID_NOT_FOUND = [
  'InvalidAction.NotFound',
  'InvalidVSwitchId.NotFound',
  'InvalidSecurityGroupId.NotFound',
];
const INVALID_CODES = [
  'InvalidParameter',
  'MissingParameter',
  'InvalidRegionId',
  'InvalidVersion',
  'IdempotentParameterMismatch',
  'DryRunOperation',
];
const UNAVAILABLE_CODES = ['InternalError', 'ServiceUnavailable', 'UnknownError', 'SignatureNonceUsed'];

const startsWithAny = (code: string, prefixes: readonly string[]): boolean =>
  prefixes.some(prefix => code === prefix || code.startsWith(`${prefix}.`));

/** Classifies an error pop-core (or the network under it) threw. */
export function describeFailure(error: unknown): EciFailure {
  const pop = (error ?? {}) as PopError;
  const data = pop.data;
  if (data?.Code) {
    const code = data.Code;
    const status = pop.entry?.response?.statusCode ?? 0;
    const message = `${code}: ${data.Message ?? 'no message'}${data.RequestId ? ` (request ${data.RequestId})` : ''}`;
    const kind: EciFailure['kind'] = code.startsWith('Throttling')
      ? 'throttled'
      : startsWithAny(code, CREDENTIAL_CODES)
        ? 'credentials'
        : INVALID_NOT_FOUND.includes(code) || startsWithAny(code, INVALID_CODES)
          ? 'invalid'
          : code.endsWith('.NotFound')
            ? 'not-found'
            : code === 'IncorrectStatus' || code.startsWith('IncorrectStatus.')
              ? 'busy'
              : status >= 500 || startsWithAny(code, UNAVAILABLE_CODES)
                ? 'unavailable'
                : 'other';
    return { kind, code, message };
  }
  // No error answer: the network, a timeout, or a body that was not JSON (a proxy's error page).
  const code = typeof pop.code === 'string' ? pop.code : typeof pop.name === 'string' ? pop.name : 'Error';
  const text = typeof pop.message === 'string' ? pop.message : String(error);
  return { kind: 'unavailable', code, message: text.replace(/\?\S*/g, '').split('\n')[0]! };
}

/** ECI refused the credentials (a wrong key or secret, an expired STS token, a missing permission). */
export class EciCredentialsError extends Error {
  override readonly name = 'EciCredentialsError';
}

/**
 * An ECI error as a provider-kit error, so core reacts correctly: a pod ECI cannot run is not
 * retried, a group ECI does not know is NotFound, throttling and outages are retried later.
 */
export function toProviderError(error: unknown, action: string): Error {
  const failure = describeFailure(error);
  const message = `${action}: ${failure.message}`;
  switch (failure.kind) {
    case 'not-found':
      return new NotFoundError(message, { cause: error });
    case 'invalid':
      return new InvalidInputError(message, { cause: error });
    case 'credentials':
      return new EciCredentialsError(`${message}; check the access key, secret and security token`, {
        cause: error,
      });
    default:
      return new TransientError(message, { cause: error });
  }
}

/** The door of every ECI request the provider makes. */
export const callEci: BackendCaller = backendCaller({ system: 'alibabacloud.eci', toError: toProviderError });
