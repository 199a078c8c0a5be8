import type { V1Status } from '@kubernetes/client-node';

/**
 * An error answer of the API server: the HTTP code plus the `Status` object it sent, if any. Thrown by
 * `KubeClient.requestJson()` and `watch()` (an HTTP error, or an in-stream ERROR event).
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** HTTP status code (from the Status object for in-stream errors). */
  readonly code: number;
  /** Machine-readable reason of the Status (`NotFound`, `Conflict`, `Expired`, ...), if given. */
  readonly reason: string | undefined;
  /** The Status object the server sent, if the body was one. */
  readonly status: V1Status | undefined;
  /** True when the error came as an ERROR event inside a watch stream rather than as an HTTP answer. */
  readonly inStream: boolean;

  /** `body` is the raw answer, quoted in the message when it is not a Status (e.g. from a proxy). */
  constructor(code: number, status: V1Status | undefined, context: string, inStream = false, body?: string) {
    const detail = status?.message ?? (body?.trim() ? body.trim().slice(0, 200) : 'no message');
    super(`${context}: ${code}${status?.reason ? ` ${status.reason}` : ''}: ${detail}`);
    this.code = code;
    this.reason = status?.reason;
    this.status = status;
    this.inStream = inStream;
  }
}

/** Parse an error body into a Status object if it is one (the server may send plain text too). */
export function parseStatus(body: unknown): V1Status | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'Status' ? value : undefined;
}

/** HTTP code and Status reason of an API error. */
function classify(err: unknown): { code: number | undefined; reason: string | undefined } {
  if (err instanceof KubeApiError) return { code: err.code, reason: err.reason };
  return { code: undefined, reason: undefined };
}

export function isKubeNotFound(err: unknown): boolean {
  return classify(err).code === 404;
}

export function isKubeConflict(err: unknown): boolean {
  const { code, reason } = classify(err);
  return code === 409 && reason !== 'AlreadyExists';
}

export function isKubeAlreadyExists(err: unknown): boolean {
  const { code, reason } = classify(err);
  return code === 409 && reason === 'AlreadyExists';
}

/** The resourceVersion asked for is older than what etcd still has (HTTP 410 or reason Expired/Gone). */
export function isKubeGone(err: unknown): boolean {
  const { code, reason } = classify(err);
  return code === 410 || reason === 'Expired' || reason === 'Gone';
}

export function isKubeForbidden(err: unknown): boolean {
  return classify(err).code === 403;
}

/** The HTTP code of an API error, if it is one. */
export function kubeErrorCode(err: unknown): number | undefined {
  return classify(err).code;
}
