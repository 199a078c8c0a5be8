import type { Writable } from 'node:stream';

import type { AttachIO, Logger } from '@vkubelet/provider-kit';

import { commandStatus, type CommandKind, type CommandStatus } from '@vkubelet/provider-kit/streaming';
import { errorMessage } from '@vkubelet/provider-kit';

export interface RemoteCommandRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** Only changes the failure message ("error executing command…" vs "error attaching…"). Default exec. */
  kind?: CommandKind;
}

/** Runs the command/attach; resolves with the exit code (exec) or undefined (attach); throws for failures. */
export type RemoteCommandRunner = (io: AttachIO, signal: AbortSignal) => Promise<number | undefined>;

/** What a transport (SPDY or WebSocket) hands the transport-independent part. */
export interface TransportSession {
  io: AttachIO;
  /** Output streams to end (FIN) once the runner returns, before the status is written. */
  outputs: Writable[];
  writeStatus(status: CommandStatus): Promise<void>;
  /** Aborted when the client goes away. */
  clientGone: AbortSignal;
  logger: Logger;
}

/** Ends a writable and waits until its data left (or it was destroyed), never rejecting. */
export function finishWritable(writable: Writable): Promise<void> {
  return new Promise(resolve => {
    if (writable.writableFinished || writable.destroyed) return resolve();
    const done = (): void => {
      writable.off('finish', done);
      writable.off('close', done);
      writable.off('error', done);
      resolve();
    };
    writable.on('finish', done);
    writable.on('close', done);
    writable.on('error', done);
    if (!writable.writableEnded) writable.end();
  });
}

/**
 * Runs one exec/attach: the runner's signal aborts when the client goes away (connection closed,
 * reset, GOAWAY, idle timeout), which is how a killed kubectl ends the provider's process. Once the
 * runner returns, stdout/stderr are half-closed and the status goes out on the error stream.
 */
export async function runRemoteCommand(
  kind: CommandKind,
  session: TransportSession,
  run: RemoteCommandRunner,
): Promise<void> {
  const controller = new AbortController();
  const onGone = (): void => controller.abort(session.clientGone.reason);
  if (session.clientGone.aborted) return;
  session.clientGone.addEventListener('abort', onGone, { once: true });
  let status: CommandStatus;
  try {
    const exitCode = await run(session.io, controller.signal);
    status = commandStatus(kind, { exitCode });
  } catch (error) {
    if (session.clientGone.aborted) {
      session.logger.debug('remotecommand: runner ended after the client went away', {
        error: String(error),
      });
      return;
    }
    session.logger.warn(`remotecommand: ${kind} failed`, {
      error: errorMessage(error),
    });
    status = commandStatus(kind, { error });
  } finally {
    session.clientGone.removeEventListener('abort', onGone);
    // The session is over either way: anything the provider still runs for it should stop.
    controller.abort(new Error('remote command session ended'));
  }
  if (session.clientGone.aborted) return;
  await Promise.all(session.outputs.map(finishWritable));
  await session.writeStatus(status);
}
