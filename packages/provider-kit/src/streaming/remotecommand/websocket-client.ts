import type { AttachIO } from '../../provider.js';
import { abortError, copyInto, forwardResizes, readText } from '../stream-util.js';
import { ChannelConnection } from '../websocket/channels.js';
import { dialWebSocket, type WebSocketDialOptions } from '../websocket/dial.js';
import {
  encodeSize,
  exitCodeFromStatus,
  RemoteCommandChannel,
  REMOTECOMMAND_V4,
  REMOTECOMMAND_V5,
} from './protocol.js';

const BASE64_PROTOCOLS = new Set(['v4.base64.channel.k8s.io', 'base64.channel.k8s.io']);

/**
 * Runs an exec or attach session on a server speaking the Kubernetes channel protocol over
 * WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`): channel 0 stdin, 1 stdout, 2 stderr, 3 the
 * final status, 4 resize. With v5 the end of stdin is sent as a CLOSE signal; v4 cannot say it.
 * Copies in both directions with backpressure; resolves with the exit code (0 for an attach),
 * rejects with a RemoteCommandError when the server reports another failure.
 */
export async function remoteCommandOverWebSocket(
  url: string,
  io: AttachIO,
  options: WebSocketDialOptions,
): Promise<number> {
  const { signal } = options;
  const ws = await dialWebSocket(url, {
    ...options,
    protocols: options.protocols ?? [REMOTECOMMAND_V5, REMOTECOMMAND_V4],
  });
  const v5 = ws.protocol === REMOTECOMMAND_V5;
  const channels = new ChannelConnection(ws, {
    role: 'client',
    base64: BASE64_PROTOCOLS.has(ws.protocol),
    closeSignal: v5,
  });
  const onAbort = (): void => ws.terminate();
  signal.addEventListener('abort', onAbort, { once: true });
  const stdin = io.stdin ? channels.writable(RemoteCommandChannel.Stdin, { closeOnEnd: true }) : undefined;
  try {
    const status = readText(channels.readable(RemoteCommandChannel.Error));
    // Awaited below; a failure before that must not count as unhandled.
    status.catch(() => undefined);
    const outputs = [copyInto(channels.readable(RemoteCommandChannel.Stdout), io.stdout)];
    if (!io.tty) outputs.push(copyInto(channels.readable(RemoteCommandChannel.Stderr), io.stderr));
    if (io.tty && io.resize)
      void forwardResizes(io.resize, channels.writable(RemoteCommandChannel.Resize), encodeSize).catch(
        () => undefined,
      );
    if (stdin && io.stdin) io.stdin.pipe(stdin, { end: v5 });
    await Promise.all(outputs);
    const text = await status;
    signal.throwIfAborted();
    return exitCodeFromStatus(text, ws.protocol);
  } catch (err) {
    throw signal.aborted ? abortError(signal) : err;
  } finally {
    if (stdin) io.stdin?.unpipe(stdin);
    signal.removeEventListener('abort', onAbort);
    channels.close();
  }
}
