import type { IncomingMessage } from 'node:http';

import { apiErrors, EciApiError } from './errors.js';

/** An RPC request as received: its method and every parameter (query and form body merged). */
export interface RpcRequest {
  method: 'GET' | 'POST';
  params: Map<string, string>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Reads an RPC request the way the gateway accepts it: GET with the parameters in the query, or POST
 * with them in an `application/x-www-form-urlencoded` body (query parameters count too). Both are
 * signed together.
 */
export async function readRpcRequest(req: IncomingMessage, url: URL): Promise<RpcRequest> {
  const method = req.method;
  if (method !== 'GET' && method !== 'POST') {
    req.resume();
    throw new EciApiError(405, 'UnsupportedHTTPMethod', `HTTP method ${method ?? ''} is not supported.`);
  }
  const params = new Map(url.searchParams);
  if (method === 'POST') {
    const body = await readBody(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (body.length > 0) {
      if (type !== 'application/x-www-form-urlencoded') {
        throw apiErrors.invalidParameter('Content-Type', 'Use application/x-www-form-urlencoded.');
      }
      for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.set(name, value);
    }
  }
  return { method, params };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new EciApiError(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
