import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import type { AttachIO, TerminalSize } from '@vkubelet/provider-kit';

import { AsyncQueue } from '../async-queue.js';
import { reportFailure, type StreamingOptions } from '../options.js';
import {
  encodeStatus,
  headerValue,
  ResizeDecoder,
  SpdyConnection,
  spdyProtocolVersion,
  SPDY_REMOTECOMMAND_PROTOCOLS,
  type SpdyStream,
  type StreamType,
} from '@vkubelet/provider-kit/streaming';

import { acceptSpdyUpgrade, negotiateProtocol, rejectUpgrade } from '../spdy/upgrade.js';
import {
  finishWritable,
  runRemoteCommand,
  type RemoteCommandRequest,
  type RemoteCommandRunner,
} from './session.js';

const STREAM_TYPES: readonly StreamType[] = ['error', 'stdin', 'stdout', 'stderr', 'resize'];

/** exec/attach over SPDY/3.1: one stream per `streamType`, opened by the client after the 101. */
export function serveRemoteCommandSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  request: RemoteCommandRequest,
  run: RemoteCommandRunner,
  options: StreamingOptions,
): void {
  const negotiation = negotiateProtocol(req, SPDY_REMOTECOMMAND_PROTOCOLS);
  if (!negotiation.ok) {
    rejectUpgrade(socket, 403, negotiation.message, {
      'X-Accepted-Stream-Protocol-Versions': SPDY_REMOTECOMMAND_PROTOCOLS.join(', '),
    });
    return;
  }
  const version = spdyProtocolVersion(negotiation.protocol);
  const logger = options.logger.child({ transport: 'spdy', protocol: negotiation.protocol ?? 'v1' });
  const expected = new Set<StreamType>(['error']);
  if (request.stdin) expected.add('stdin');
  if (request.stdout) expected.add('stdout');
  if (request.stderr) expected.add('stderr');
  if (request.tty && version >= 3) expected.add('resize');

  acceptSpdyUpgrade(socket, negotiation.protocol);
  const streams = new Map<StreamType, SpdyStream>();
  let started = false;
  const connection = new SpdyConnection(socket, {
    idleTimeoutMs: options.idleTimeoutMs,
    logger,
    onStream(stream) {
      const type = headerValue(stream.headers, 'streamtype') as StreamType | undefined;
      if (
        started ||
        type === undefined ||
        !STREAM_TYPES.includes(type) ||
        !expected.has(type) ||
        streams.has(type)
      ) {
        logger.debug('remotecommand: unexpected stream', { streamType: type, streamId: stream.id });
        stream.reset();
        return;
      }
      streams.set(type, stream);
      if (streams.size === expected.size) {
        started = true;
        clearTimeout(creationTimer);
        start().catch(reportFailure(logger, 'spdy remotecommand session'));
      }
    },
  });
  const creationTimer = setTimeout(() => {
    logger.warn('remotecommand: timed out waiting for client to create streams', {
      expected: [...expected],
      received: [...streams.keys()],
    });
    connection.close();
  }, options.creationTimeoutMs);
  creationTimer.unref();
  connection.signal.addEventListener('abort', () => clearTimeout(creationTimer), { once: true });

  const start = async (): Promise<void> => {
    const errorStream = streams.get('error')!;
    // The client never writes on the error stream; draining keeps its FIN from stalling anything.
    errorStream.resume();
    const io: AttachIO = { tty: request.tty };
    const stdin = streams.get('stdin');
    const stdout = streams.get('stdout');
    const stderr = streams.get('stderr');
    if (stdin) io.stdin = stdin;
    if (stdout) {
      io.stdout = stdout;
      stdout.resume(); // clients send nothing on output streams but their FIN
    }
    if (stderr) {
      io.stderr = stderr;
      stderr.resume();
    }
    const resizeStream = streams.get('resize');
    if (resizeStream) io.resize = resizeEvents(resizeStream);
    await runRemoteCommand(
      request.kind ?? 'exec',
      {
        io,
        outputs: [stdout, stderr].filter(s => s !== undefined),
        clientGone: connection.signal,
        logger,
        async writeStatus(status) {
          const bytes = encodeStatus(status, version);
          if (bytes) errorStream.write(bytes);
          await finishWritable(errorStream);
          // v1 kubelets reset the error stream at the end; clients of that age expect it.
          if (version === 1) errorStream.reset();
        },
      },
      run,
    );
    connection.close();
  };

  connection.receive(head);
}

function resizeEvents(stream: SpdyStream): AsyncIterable<TerminalSize> {
  const queue = new AsyncQueue<TerminalSize>();
  const decoder = new ResizeDecoder();
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => decoder.push(text).forEach(size => queue.push(size)));
  stream.on('end', () => queue.end());
  stream.on('close', () => queue.end());
  return queue;
}
