import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

import type { Logger } from '../../logger.js';
import { SpdyConnection } from './connection.js';

/** The header both sides negotiate the stream protocol version with. */
export const STREAM_PROTOCOL_HEADER = 'x-stream-protocol-version';

export interface SpdyDialOptions {
  /** Stream protocols to offer, best first (`v4.channel.k8s.io`, `portforward.k8s.io`). */
  protocols: readonly string[];
  signal: AbortSignal;
  /** Extra request headers (authorization). */
  headers?: Record<string, string>;
  /** TLS and agent settings for an https URL (ca, cert, key, rejectUnauthorized). */
  requestOptions?: RequestOptions & { ca?: string | Buffer; rejectUnauthorized?: boolean };
  logger?: Logger;
}

/** A client SPDY session and the protocol the server chose. */
export interface SpdySession {
  connection: SpdyConnection;
  /** The server's choice among the offered protocols (empty when it named none). */
  protocol: string;
}

/**
 * Opens a SPDY/3.1 session to a streaming server (the kubelet's, or a container runtime's such as
 * containerd's): an HTTP `POST` with `Upgrade: SPDY/3.1` offering `protocols`. Rejects with the
 * server's answer when it refuses the upgrade.
 */
export function dialSpdy(url: string, options: SpdyDialOptions): Promise<SpdySession> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SpdySession>((resolve, reject) => {
    const req = request(target, {
      ...options.requestOptions,
      method: 'POST',
      signal: options.signal,
      headers: {
        ...options.headers,
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        [STREAM_PROTOCOL_HEADER]: [...options.protocols],
      },
    });
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setNoDelay(true);
      const connection = new SpdyConnection(socket, {
        role: 'client',
        ...(options.logger ? { logger: options.logger } : {}),
      });
      connection.receive(head);
      const chosen = res.headers[STREAM_PROTOCOL_HEADER];
      resolve({ connection, protocol: String(chosen ?? '') });
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text.slice(0, 4096)));
      res.on('end', () =>
        reject(new Error(`streaming server refused the upgrade: HTTP ${res.statusCode} ${body.trim()}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
