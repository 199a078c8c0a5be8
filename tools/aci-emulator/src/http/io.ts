import type { IncomingMessage, ServerResponse } from 'node:http';

import { ArmError } from './arm-error.js';

/** ARM refuses request bodies above 4 MiB; so does the emulator. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Reads a request body as text, answering 413 (as ARM does) when it is too large. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new ArmError(
        413,
        'RequestEntityTooLarge',
        'The request content size exceeds the maximum of 4 MB.',
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends a JSON answer (or an empty one for `undefined`) with the given status and headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-cache',
    pragma: 'no-cache',
    expires: '-1',
    ...headers,
  });
  res.end(text);
}
