import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import type { AttachIO, Logger, PodRef } from '@vkubelet/provider-kit';

/** What an exec or attach upgrade asked for, validated by the server before the protocol starts. */
export interface RemoteCommandRequest {
  kind: 'exec' | 'attach';
  pod: PodRef;
  container: string;
  /** Empty for attach. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  /** Always false with tty (the kubelet drops stderr for terminals: a tty has one output). */
  stderr: boolean;
  tty: boolean;
}

/** Runs the session in the provider; resolves with the exit code (undefined for attach). */
export type RemoteCommandRun = (io: AttachIO, signal: AbortSignal) => Promise<number | undefined>;

/** Carries one forwarded connection to `port` in the pod. */
export type PortForwardRun = (port: number, stream: Duplex, signal: AbortSignal) => Promise<void>;

export interface StreamingOptions {
  /** Close a session with no traffic for this long (`--stream-idle-timeout`). */
  idleTimeoutMs: number;
  /** Give up on streams that do not arrive within this after the upgrade (default 30 s). */
  creationTimeoutMs: number;
  logger: Logger;
}

/**
 * The protocol layer (`src/streaming/`): SPDY/WebSocket upgrade and framing. The server calls these
 * from its 'upgrade' handler after routing, authentication, authorization, validation and the
 * capability check; they own the socket from then on.
 */
export interface StreamingProtocols {
  serveRemoteCommand(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    request: RemoteCommandRequest,
    run: RemoteCommandRun,
    options: StreamingOptions,
  ): void | Promise<void>;
  servePortForward(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    run: PortForwardRun,
    options: StreamingOptions,
  ): void | Promise<void>;
}
