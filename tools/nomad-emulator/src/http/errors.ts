/**
 * An error answered as Nomad answers errors: the status code and the message as a plain-text body
 * (the api module's UnexpectedResponseError shows them as `Unexpected response code: 403 (Permission denied)`).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const PERMISSION_DENIED = 'Permission denied';

export function permissionDenied(): HttpError {
  return new HttpError(403, PERMISSION_DENIED);
}

export function notFound(what: string): HttpError {
  return new HttpError(404, what);
}
