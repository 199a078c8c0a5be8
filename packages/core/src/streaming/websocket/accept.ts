import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type WebSocket } from 'ws';

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map(p => p.trim())
    .filter(p => p.length > 0);
}

const chosenProtocols = new WeakMap<IncomingMessage, string>();
const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  // 16 MiB: a message carries at most one write of a stream; Go and JS clients send far smaller ones.
  maxPayload: 16 * 1024 * 1024,
  handleProtocols: (_offered, req) => chosenProtocols.get(req) ?? false,
});

/** Completes the WebSocket handshake with an already-chosen subprotocol ("" = none). */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string,
): Promise<WebSocket> {
  // The choice is already made. Go clients offer names that are not RFC 6455 tokens
  // ("SPDY/3.1+portforward.k8s.io"), which ws would refuse to parse, so it gets a stand-in offer.
  if (protocol !== '') {
    chosenProtocols.set(req, protocol);
    req.headers['sec-websocket-protocol'] = 'negotiated';
  } else delete req.headers['sec-websocket-protocol'];
  return new Promise(resolve => server.handleUpgrade(req, socket, head, ws => resolve(ws)));
}
