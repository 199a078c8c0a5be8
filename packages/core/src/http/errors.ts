import type { ServerResponse } from 'node:http';

import { errorKind } from '@vkubelet/provider-kit';

/** An error that already knows the HTTP status it answers with; its message is the response body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

/** 400 for a query parameter the client got wrong. */
export const badRequest = (message: string): HttpError => new HttpError(400, message);

/**
 * The status a failure answers with, as upstream's `httpStatusCode`: NotFound 404, InvalidInput 400,
 * Unsupported 501, anything else 500. An HttpError keeps its own status.
 */
export function statusCodeOf(err: unknown): number {
  if (err instanceof HttpError) return err.statusCode;
  switch (errorKind(err)) {
    case 'NotFound':
      return 404;
    case 'InvalidInput':
      return 400;
    case 'Unsupported':
      return 501;
    default:
      return 500;
  }
}

/**
 * Plain-text error body, as the kubelet and upstream virtual-kubelet write them (`http.Error`): the
 * apiserver relays it verbatim, so kubectl shows the message itself.
 */
export function writeTextError(res: ServerResponse, statusCode: number, message: string): void {
  if (res.headersSent) {
    // Too late for a status line: end the stream so the client sees a truncated response.
    res.destroy();
    return;
  }
  const body = `${message}\n`;
  res.writeHead(statusCode, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function writeJson(res: ServerResponse, value: unknown, contentType = 'application/json'): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
