import type { Duplex, Writable } from 'node:stream';

import type { Logger } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import { finishWritable } from '../remotecommand/session.js';

/** Carries one forwarded connection to `port`; resolves when either side closed it. */
export type PortForwardRunner = (port: number, stream: Duplex, signal: AbortSignal) => Promise<void>;

/** Parses a port header or query value: a decimal integer in 1..65535. */
export function parsePort(text: string | undefined): number | Error {
  if (text === undefined || !/^\d{1,5}$/.test(text.trim()))
    return new Error(`error parsing port ${JSON.stringify(text ?? '')}: not a number`);
  const port = Number(text.trim());
  if (port < 1 || port > 65535) return new Error(`port ${port} must be between 1 and 65535`);
  return port;
}

/**
 * Runs one forwarded connection: the runner's signal aborts when the client goes away or resets the
 * pair (upstream passes a never-cancelled context here); a runner error is reported as text on the
 * error stream, as the kubelet does. Both streams are half-closed at the end.
 */
export async function forwardOne(args: {
  port: number;
  data: Duplex;
  error: Writable;
  run: PortForwardRunner;
  gone: AbortSignal[];
  logger: Logger;
}): Promise<void> {
  const { port, data, run, logger } = args;
  const controller = new AbortController();
  const signals = AbortSignal.any([controller.signal, ...args.gone]);
  const onDataClosed = (): void => {
    // A data stream closed before the runner returned without both sides ending is a reset.
    if (!data.writableFinished) controller.abort(new Error('port-forward stream closed by client'));
  };
  data.once('close', onDataClosed);
  try {
    await run(port, data, signals);
  } catch (error) {
    if (!signals.aborted) {
      const message = `error forwarding port ${port}: ${errorMessage(error)}`;
      logger.warn('portforward: runner failed', { port, error: message });
      args.error.write(message);
    }
  } finally {
    data.off('close', onDataClosed);
    controller.abort(new Error('port-forward connection ended'));
  }
  await Promise.all([finishWritable(data), finishWritable(args.error)]);
}
