import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import type { EciApiError } from './errors.js';

/** A request ID as ECI formats them (an upper-case UUID). */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: Record<string, unknown>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-acs-request-id': requestId,
  });
  res.end(text);
}

/** The error body: `{RequestId, HostId, Code, Message, Recommend}`. */
export function sendError(res: ServerResponse, requestId: string, host: string, error: EciApiError): void {
  sendJson(res, error.status, requestId, {
    RequestId: requestId,
    HostId: host,
    Code: error.code,
    Message: error.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Eci&requestId=${requestId}`,
  });
}
