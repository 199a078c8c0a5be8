import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { errorMessage, noopLogger } from '@vkubelet/provider-kit';
import { execInContainer } from '@vkubelet/provider-kit/mock';
import { rejectUpgrade } from '@vkubelet/core/spdy';
import { serveRemoteCommand, type StreamingOptions } from '@vkubelet/core/streaming';

import { runningContainer } from '../actions/exec.js';
import type { GroupStore } from '../groups/store.js';
import { EciApiError } from '../rpc/errors.js';
import type { ExecSessions } from './sessions.js';

const STREAMING: StreamingOptions = {
  idleTimeoutMs: 4 * 60 * 60 * 1000,
  creationTimeoutMs: 30_000,
  logger: noopLogger,
};

/**
 * Serves the WebSocketUri of ExecContainerCommand (`/exec/?s=<token>`). ECI does not publish the
 * session protocol; this speaks the Kubernetes channel protocol that ECI's own exec clients match
 * (binary messages, first byte the channel: 0 stdin, 1 stdout, 2 stderr), with channel 3 carrying
 * the exit status and 4 terminal resizes when the client offers `v4.channel.k8s.io` or
 * `v5.channel.k8s.io`. A client offering no subprotocol gets the plain channels, as ECI's do.
 */
export function serveExecUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
  sessions: ExecSessions,
  store: GroupStore,
): void {
  const grant = sessions.take(url.searchParams.get('s') ?? '');
  if (!grant) return rejectUpgrade(socket, 403, 'The exec session is unknown, used or expired.');
  const group = store.get(grant.containerGroupId);
  let run;
  try {
    if (!group)
      return rejectUpgrade(socket, 404, `The container group ${grant.containerGroupId} no longer exists.`);
    run = runningContainer(group, grant.containerName);
  } catch (error) {
    return rejectUpgrade(socket, error instanceof EciApiError ? error.status : 500, errorMessage(error));
  }
  serveRemoteCommand(
    req,
    socket,
    head,
    { stdin: grant.stdin, stdout: true, stderr: !grant.tty, tty: grant.tty },
    (io, signal) => {
      const stopped = group.podRuntime?.signal;
      const ended = stopped ? AbortSignal.any([signal, stopped]) : signal;
      return untilAborted(execInContainer(run, grant.command, io, ended), ended, () =>
        signal.aborted && signal.reason instanceof Error
          ? signal.reason
          : new Error(`container ${grant.containerName} is no longer running`),
      );
    },
    STREAMING,
  );
}

/**
 * The command's result, or a rejection as soon as `signal` aborts: a command blocked reading stdin
 * does not notice its container stopping, and the session must end with the container.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
