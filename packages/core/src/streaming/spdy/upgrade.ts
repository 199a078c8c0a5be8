import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { STREAM_PROTOCOL_HEADER } from '@vkubelet/provider-kit/streaming';

/** True for an `Upgrade: SPDY/3.1` request (header values compared case-insensitively). */
export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '')
    .toLowerCase()
    .split(',')
    .some(value => value.trim() === 'spdy/3.1');
}

export type Negotiation = { ok: true; protocol: string | undefined } | { ok: false; message: string };

/**
 * Picks the stream protocol: the best (earliest in `supported`) version the client also offers.
 * A client that offers none gets `protocol: undefined`, which remotecommand treats as the legacy v1
 * protocol, like the kubelet does.
 */
export function negotiateProtocol(req: IncomingMessage, supported: readonly string[]): Negotiation {
  const raw = req.headers[STREAM_PROTOCOL_HEADER];
  const offered = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .flatMap(value => value.split(','))
    .map(value => value.trim())
    .filter(value => value.length > 0);
  if (offered.length === 0) return { ok: true, protocol: undefined };
  const chosen = supported.find(protocol => offered.includes(protocol));
  if (chosen !== undefined) return { ok: true, protocol: chosen };
  return {
    ok: false,
    message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
  };
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  const reason =
    status === 400
      ? 'Bad Request'
      : status === 403
        ? 'Forbidden'
        : status === 500
          ? 'Internal Server Error'
          : 'Error';
  const body = `${message}\n`;
  const headers = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(extraHeaders).map(([name, value]) => `${name}: ${value}`),
  ];
  if (socket.writable) socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}

/** Writes the 101 that switches the socket to SPDY/3.1. */
export function acceptSpdyUpgrade(socket: Duplex, protocol: string | undefined): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1'];
  if (protocol !== undefined) lines.push(`X-Stream-Protocol-Version: ${protocol}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}
