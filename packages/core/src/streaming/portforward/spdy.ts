import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { reportFailure, type StreamingOptions } from '../options.js';
import {
  headerValue,
  PORT_FORWARD_PROTOCOL,
  SpdyConnection,
  type SpdyStream,
} from '@vkubelet/provider-kit/streaming';

import { acceptSpdyUpgrade, negotiateProtocol, rejectUpgrade } from '../spdy/upgrade.js';
import { forwardOne, parsePort, type PortForwardRunner } from './pairs.js';

export { PORT_FORWARD_PROTOCOL };

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Negotiates `portforward.k8s.io` and runs the session on the upgraded socket. */
export function servePortForwardSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  run: PortForwardRunner,
  options: StreamingOptions,
): void {
  const negotiation = negotiateProtocol(req, [PORT_FORWARD_PROTOCOL]);
  if (!negotiation.ok) {
    rejectUpgrade(socket, 403, negotiation.message, {
      'X-Accepted-Stream-Protocol-Versions': PORT_FORWARD_PROTOCOL,
    });
    return;
  }
  acceptSpdyUpgrade(socket, negotiation.protocol);
  runPortForwardSession(socket, head, run, options);
}

/**
 * Port-forward over an established SPDY session (a socket after the 101, or the KEP-4006 WebSocket
 * tunnel). Each forwarded connection is a pair of streams (`streamType` data and error) sharing a
 * `requestID`; a pair must complete within the creation timeout.
 */
export function runPortForwardSession(
  socket: Duplex,
  head: Buffer,
  run: PortForwardRunner,
  options: StreamingOptions,
): SpdyConnection {
  const logger = options.logger.child({ transport: 'spdy', protocol: PORT_FORWARD_PROTOCOL });
  const pairs = new Map<string, Pair>();
  const connection = new SpdyConnection(socket, {
    idleTimeoutMs: options.idleTimeoutMs,
    logger,
    onStream(stream) {
      const type = headerValue(stream.headers, 'streamType');
      if (type !== 'data' && type !== 'error') {
        logger.debug('portforward: unexpected stream type', { streamType: type });
        stream.reset();
        return;
      }
      // Old clients send no requestID: the error stream comes first, its data stream two ids later.
      const requestId =
        headerValue(stream.headers, 'requestID') ?? String(type === 'error' ? stream.id : stream.id - 2);
      let pair = pairs.get(requestId);
      if (!pair) {
        const timer = setTimeout(() => {
          const stale = pairs.get(requestId);
          if (!stale) return;
          pairs.delete(requestId);
          logger.warn('portforward: timed out waiting for the stream pair', { requestId });
          stale.error?.end('timed out waiting for streams');
          stale.data?.reset();
        }, options.creationTimeoutMs);
        timer.unref();
        pair = { timer };
        pairs.set(requestId, pair);
      }
      if (pair[type]) {
        logger.debug('portforward: duplicate stream in pair', { requestId, streamType: type });
        stream.reset();
        return;
      }
      pair[type] = stream;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        startPair(pair.data, pair.error).catch(reportFailure(logger, 'port-forward pair'));
      }
    },
  });

  const startPair = async (data: SpdyStream, error: SpdyStream): Promise<void> => {
    error.resume(); // the client never writes on the error stream
    const port = parsePort(headerValue(data.headers, 'port'));
    if (port instanceof Error) {
      error.end(port.message);
      data.end();
      return;
    }
    await forwardOne({ port, data, error, run, gone: [connection.signal], logger });
  };

  connection.signal.addEventListener('abort', () => {
    for (const pair of pairs.values()) clearTimeout(pair.timer);
    pairs.clear();
  });
  connection.receive(head);
  return connection;
}
