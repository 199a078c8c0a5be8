import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';

import type { AttachIO, TerminalSize } from '@vkubelet/provider-kit';

import { AsyncQueue } from '../async-queue.js';
import { reportFailure, type StreamingOptions } from '../options.js';
import {
  ChannelConnection,
  encodeStatus,
  parseSize,
  RemoteCommandChannel as Channel,
  type ProtocolVersion,
} from '@vkubelet/provider-kit/streaming';

import { rejectUpgrade } from '../spdy/upgrade.js';
import { acceptWebSocket, offeredSubprotocols } from '../websocket/accept.js';
import {
  finishWritable,
  runRemoteCommand,
  type RemoteCommandRequest,
  type RemoteCommandRunner,
} from './session.js';

/** WebSocket subprotocols for exec/attach, best first, with their behaviour. */
const WS_PROTOCOLS: readonly { name: string; version: ProtocolVersion; base64: boolean }[] = [
  { name: 'v5.channel.k8s.io', version: 5, base64: false },
  { name: 'v4.channel.k8s.io', version: 4, base64: false },
  { name: 'v4.base64.channel.k8s.io', version: 4, base64: true },
  { name: 'channel.k8s.io', version: 1, base64: false },
  { name: 'base64.channel.k8s.io', version: 1, base64: true },
];

export const WS_REMOTECOMMAND_PROTOCOLS: readonly string[] = WS_PROTOCOLS.map(p => p.name);

/** exec/attach over WebSocket channels (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize). */
export function serveRemoteCommandWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  request: RemoteCommandRequest,
  run: RemoteCommandRunner,
  options: StreamingOptions,
): void {
  const offered = offeredSubprotocols(req);
  // No subprotocol at all means the plain binary channel protocol, as in the kubelet.
  const protocol =
    offered.length === 0
      ? { name: '', version: 1 as ProtocolVersion, base64: false }
      : WS_PROTOCOLS.find(p => offered.includes(p.name));
  if (!protocol) {
    rejectUpgrade(
      socket,
      400,
      `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${WS_REMOTECOMMAND_PROTOCOLS.join(' ')}]`,
    );
    return;
  }
  const logger = options.logger.child({ transport: 'websocket', protocol: protocol.name });
  acceptWebSocket(req, socket, head, protocol.name)
    .then(async ws => {
      const channels = new ChannelConnection(ws, {
        base64: protocol.base64,
        closeSignal: protocol.version >= 5,
        logger,
        idleTimeoutMs: options.idleTimeoutMs,
      });
      const io: AttachIO = { tty: request.tty };
      const outputs: Writable[] = [];
      if (request.stdin) io.stdin = channels.readable(Channel.Stdin);
      if (request.stdout) outputs.push((io.stdout = channels.writable(Channel.Stdout)));
      if (request.stderr && !request.tty) outputs.push((io.stderr = channels.writable(Channel.Stderr)));
      if (request.tty) io.resize = resizeEvents(channels);
      // Tell the client the session is up: an empty message on the lowest channel it reads.
      channels.send(
        request.stdout ? Channel.Stdout : request.stderr ? Channel.Stderr : Channel.Error,
        Buffer.alloc(0),
      );
      const errorChannel = channels.writable(Channel.Error);
      await runRemoteCommand(
        request.kind ?? 'exec',
        {
          io,
          outputs,
          clientGone: channels.clientGone,
          logger,
          async writeStatus(status) {
            const bytes = encodeStatus(status, protocol.version);
            if (bytes) errorChannel.write(bytes);
            await finishWritable(errorChannel);
          },
        },
        run,
      );
      channels.close();
    })
    .catch(reportFailure(logger, 'websocket remotecommand session'));
}

function resizeEvents(channels: ChannelConnection): AsyncIterable<TerminalSize> {
  const queue = new AsyncQueue<TerminalSize>();
  const readable = channels.readable(Channel.Resize);
  readable.on('data', (chunk: Buffer) => {
    const size = parseSize(chunk.toString('utf8'));
    if (size) queue.push(size);
  });
  readable.on('close', () => queue.end());
  readable.on('end', () => queue.end());
  return queue;
}
