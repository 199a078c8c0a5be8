/**
 * Kubelet streaming protocols (exec, attach, port-forward) over SPDY/3.1 and WebSocket. The HTTP
 * layer routes, authenticates, authorizes and checks the provider's capability, then hands the
 * upgrade request here from the server's 'upgrade' event; everything after that is ours.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { checkOptions, type StreamingOptions } from './options.js';
import {
  servePortForwardSpdy,
  servePortForwardWebSocket,
  type PortForwardRunner,
} from './portforward/index.js';
import {
  serveRemoteCommandSpdy,
  serveRemoteCommandWebSocket,
  type RemoteCommandRequest,
  type RemoteCommandRunner,
} from './remotecommand/index.js';
import { isSpdyUpgrade, rejectUpgrade } from './spdy/upgrade.js';
import { isWebSocketUpgrade } from './websocket/accept.js';

export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_STREAM_CREATION_TIMEOUT_MS,
  type StreamingOptions,
} from './options.js';
export type { PortForwardRunner } from './portforward/index.js';
export type { CommandKind, RemoteCommandRequest, RemoteCommandRunner } from './remotecommand/index.js';

function prepareSocket(socket: Duplex): void {
  // Interactive sessions: do not let Nagle hold keystrokes back.
  (socket as Partial<{ setNoDelay(noDelay: boolean): void }>).setNoDelay?.(true);
}

/**
 * Serves exec or attach on an upgrade request. The transport follows the request: `Upgrade: SPDY/3.1`
 * (protocol negotiated through X-Stream-Protocol-Version) or `Upgrade: websocket` (subprotocol
 * negotiation). Never throws for client errors: they are answered on the socket (400/403).
 */
export function serveRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  request: RemoteCommandRequest,
  run: RemoteCommandRunner,
  options: StreamingOptions,
): void {
  checkOptions(options);
  if (request.tty && request.stderr) {
    rejectUpgrade(socket, 400, 'cannot exec with tty and stderr');
    return;
  }
  if (!request.stdin && !request.stdout && !request.stderr) {
    rejectUpgrade(socket, 400, 'you must specify at least 1 of stdin, stdout, stderr');
    return;
  }
  prepareSocket(socket);
  if (isSpdyUpgrade(req)) serveRemoteCommandSpdy(req, socket, head, request, run, options);
  else if (isWebSocketUpgrade(req)) serveRemoteCommandWebSocket(req, socket, head, request, run, options);
  else
    rejectUpgrade(
      socket,
      400,
      'unable to upgrade: missing upgrade headers in request (expected SPDY/3.1 or websocket)',
    );
}

/** Serves port-forward on an upgrade request (SPDY `portforward.k8s.io`, or WebSocket). */
export function servePortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  run: PortForwardRunner,
  options: StreamingOptions,
): void {
  checkOptions(options);
  prepareSocket(socket);
  if (isSpdyUpgrade(req)) servePortForwardSpdy(req, socket, head, run, options);
  else if (isWebSocketUpgrade(req)) servePortForwardWebSocket(req, socket, head, run, options);
  else
    rejectUpgrade(
      socket,
      400,
      'unable to upgrade: missing upgrade headers in request (expected SPDY/3.1 or websocket)',
    );
}
