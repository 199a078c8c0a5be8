import type { AttachIO } from '../../provider.js';
import { dialSpdy, type SpdyDialOptions } from '../spdy/upgrade-client.js';
import { abortError, copyInto, forwardResizes, readText } from '../stream-util.js';
import { encodeSize, exitCodeFromStatus, REMOTECOMMAND_V4, REMOTECOMMAND_V5 } from './protocol.js';

/** Options of a remote command client: the dial options without the protocols, which it offers. */
export type RemoteCommandClientOptions = Omit<SpdyDialOptions, 'protocols'> & {
  /** Protocols to offer, best first (default v5 then v4). */
  protocols?: readonly string[];
};

/**
 * Runs an exec or attach session on a streaming server over SPDY (the kubelet's remote command
 * protocol, as a container runtime's streaming server speaks it): one stream per stdio channel, an
 * error stream that ends with the command's status, a resize stream for terminals. Stdin is copied
 * with backpressure and its end half-closes the stdin stream (so `cat` ends when its input does);
 * output is copied with backpressure into `io` (which the caller ends). Resolves with the exit code
 * (0 for an attach); rejects with a RemoteCommandError when the server reports another failure.
 */
export async function remoteCommandOverSpdy(
  url: string,
  io: AttachIO,
  options: RemoteCommandClientOptions,
): Promise<number> {
  const { signal } = options;
  const { connection, protocol } = await dialSpdy(url, {
    ...options,
    protocols: options.protocols ?? [REMOTECOMMAND_V5, REMOTECOMMAND_V4],
  });
  const onAbort = (): void => connection.destroy('aborted by the caller');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    // The order of the kubelet's own client: error first, then the stdio streams, then resize.
    const error = connection.openStream({ streamType: 'error' });
    const status = readText(error);
    // Awaited below; a failure before that must not count as unhandled.
    status.catch(() => undefined);
    const stdin = io.stdin ? connection.openStream({ streamType: 'stdin' }) : undefined;
    const outputs: Promise<void>[] = [];
    if (io.stdout) outputs.push(copyInto(connection.openStream({ streamType: 'stdout' }), io.stdout));
    if (io.stderr && !io.tty)
      outputs.push(copyInto(connection.openStream({ streamType: 'stderr' }), io.stderr));
    if (io.tty) {
      const resize = connection.openStream({ streamType: 'resize' });
      if (io.resize) void forwardResizes(io.resize, resize, encodeSize).catch(() => undefined);
    }
    if (stdin && io.stdin) io.stdin.pipe(stdin);
    try {
      await Promise.all(outputs);
      const text = await status;
      signal.throwIfAborted();
      return exitCodeFromStatus(text, protocol);
    } finally {
      if (stdin) io.stdin?.unpipe(stdin);
    }
  } catch (err) {
    throw signal.aborted ? abortError(signal) : err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    connection.close();
  }
}
