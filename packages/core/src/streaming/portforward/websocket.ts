import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';

import { createWebSocketStream } from 'ws';

import { reportFailure, type StreamingOptions } from '../options.js';
import { ChannelConnection } from '@vkubelet/provider-kit/streaming';

import { rejectUpgrade } from '../spdy/upgrade.js';
import { acceptWebSocket, offeredSubprotocols } from '../websocket/accept.js';
import { forwardOne, parsePort, type PortForwardRunner } from './pairs.js';
import { runPortForwardSession } from './spdy.js';

/** KEP-4006 tunnelling: SPDY frames carried in binary WebSocket messages. */
const TUNNEL_PROTOCOLS = ['SPDY/3.1+portforward.k8s.io', 'v2.portforward.k8s.io'];
/** Channel protocols: per port, channel 2i carries data and 2i+1 errors. */
const CHANNEL_PROTOCOLS: readonly { name: string; base64: boolean }[] = [
  { name: 'v4.channel.k8s.io', base64: false },
  { name: 'v4.base64.channel.k8s.io', base64: true },
  { name: 'portforward.k8s.io', base64: false },
  { name: 'channel.k8s.io', base64: false },
  { name: 'base64.channel.k8s.io', base64: true },
];

export const WS_PORT_FORWARD_PROTOCOLS: readonly string[] = [
  ...TUNNEL_PROTOCOLS,
  ...CHANNEL_PROTOCOLS.map(p => p.name),
];

export function servePortForwardWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  run: PortForwardRunner,
  options: StreamingOptions,
): void {
  const offered = offeredSubprotocols(req);
  const tunnel = TUNNEL_PROTOCOLS.find(p => offered.includes(p));
  if (tunnel) {
    acceptWebSocket(req, socket, head, tunnel)
      .then(ws => {
        const tunnelStream = createWebSocketStream(ws);
        tunnelStream.on('error', () => tunnelStream.destroy());
        runPortForwardSession(tunnelStream, Buffer.alloc(0), run, options);
      })
      .catch(reportFailure(options.logger, 'port-forward tunnel session'));
    return;
  }
  const channelProtocol =
    offered.length === 0
      ? { name: '', base64: false }
      : CHANNEL_PROTOCOLS.find(p => offered.includes(p.name));
  if (!channelProtocol) {
    rejectUpgrade(
      socket,
      400,
      `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${WS_PORT_FORWARD_PROTOCOLS.join(' ')}]`,
    );
    return;
  }
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const ports: number[] = [];
  for (const text of query.getAll('ports').flatMap(value => value.split(','))) {
    const port = parsePort(text);
    if (port instanceof Error) {
      rejectUpgrade(socket, 400, port.message);
      return;
    }
    ports.push(port);
  }
  if (ports.length === 0) {
    rejectUpgrade(socket, 400, 'query parameter "ports" is required');
    return;
  }
  const logger = options.logger.child({ transport: 'websocket', protocol: channelProtocol.name });
  acceptWebSocket(req, socket, head, channelProtocol.name)
    .then(async ws => {
      const channels = new ChannelConnection(ws, {
        base64: channelProtocol.base64,
        closeSignal: false,
        logger,
        idleTimeoutMs: options.idleTimeoutMs,
      });
      await Promise.all(
        ports.map((port, index) => {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16LE(port, 0);
          // Every channel's first message starts with the port (little endian), as clients expect.
          channels.send(index * 2, prefix);
          channels.send(index * 2 + 1, prefix);
          const data = Duplex.from({
            readable: channels.readable(index * 2),
            writable: channels.writable(index * 2),
          });
          data.on('error', () => {});
          const error = channels.writable(index * 2 + 1);
          return forwardOne({ port, data, error, run, gone: [channels.clientGone], logger });
        }),
      );
      channels.close();
    })
    .catch(reportFailure(logger, 'websocket port-forward session'));
}
