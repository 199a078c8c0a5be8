import { RestError } from '@azure/core-rest-pipeline';
import {
  errorMessage,
  backendCaller,
  InvalidInputError,
  NotFoundError,
  TransientError,
  type BackendCaller,
} from '@vkubelet/provider-kit';

/**
 * ARM's 400 codes for a request that may succeed later as it is: a quota that is full now. Every
 * other 400 says the request itself is wrong (a name, an image, sizes), so retrying cannot help.
 */
const RETRYABLE_BAD_REQUESTS = new Set(['ContainerGroupQuotaReached', 'QuotaExceeded']);

/** The HTTP status and ARM error code of an Azure SDK error, if it carries them. */
export function armStatus(err: unknown): { status?: number; code?: string } {
  if (err instanceof RestError || (err instanceof Error && err.name === 'RestError')) {
    const rest = err as RestError;
    return {
      ...(rest.statusCode ? { status: rest.statusCode } : {}),
      ...(rest.code ? { code: rest.code } : {}),
    };
  }
  return {};
}

/**
 * An Azure SDK error as a provider-kit error, so core reacts correctly: 404 is NotFound, a bad
 * request (a pod ACI refuses) is InvalidInput with ARM's message, everything else (throttling that
 * outlasted the SDK's retries, 409 while a group is being deleted, 5xx, credentials, the network) is
 * retried later.
 */
export function toProviderError(err: unknown, operation: string): unknown {
  if (err instanceof Error && err.name === 'AbortError') return err;
  const { status, code } = armStatus(err);
  const detail = errorMessage(err);
  const message = `${operation}: ${code ? `${code}: ` : ''}${detail}`;
  if (status === 404) return new NotFoundError(message, { cause: err });
  if (status === 400 && !RETRYABLE_BAD_REQUESTS.has(code ?? ''))
    return new InvalidInputError(message, { cause: err });
  return new TransientError(message, { cause: err });
}

/** The door of every ARM request the provider makes (Container Instance and Monitor). */
export const callArm: BackendCaller = backendCaller({ system: 'azure.aci', toError: toProviderError });
