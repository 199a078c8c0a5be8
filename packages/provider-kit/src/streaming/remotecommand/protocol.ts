import type { TerminalSize } from '../../provider.js';
import { errorMessage } from '../../errdefs/error-message.js';

/** remotecommand stream protocol versions, best first. `channel.k8s.io` is v2; no header at all is v1. */
export const REMOTECOMMAND_V5 = 'v5.channel.k8s.io';
export const REMOTECOMMAND_V4 = 'v4.channel.k8s.io';
export const REMOTECOMMAND_V3 = 'v3.channel.k8s.io';
export const REMOTECOMMAND_V2 = 'channel.k8s.io';
export const SPDY_REMOTECOMMAND_PROTOCOLS = [
  REMOTECOMMAND_V5,
  REMOTECOMMAND_V4,
  REMOTECOMMAND_V3,
  REMOTECOMMAND_V2,
] as const;

export type ProtocolVersion = 1 | 2 | 3 | 4 | 5;

export function spdyProtocolVersion(protocol: string | undefined): ProtocolVersion {
  switch (protocol) {
    case REMOTECOMMAND_V5:
      return 5;
    case REMOTECOMMAND_V4:
      return 4;
    case REMOTECOMMAND_V3:
      return 3;
    case REMOTECOMMAND_V2:
      return 2;
    default:
      return 1;
  }
}

export type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** Channel numbers of remote command over WebSocket. */
export const RemoteCommandChannel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  Error: 3,
  Resize: 4,
} as const;

/** The metav1.Status written on the error stream (v4+ as JSON, older versions as its message). */
export interface CommandStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export type CommandKind = 'exec' | 'attach';

/** Maps a runner's outcome to the Status the kubelet would report. */
export function commandStatus(
  kind: CommandKind,
  outcome: { exitCode?: number | undefined } | { error: unknown },
): CommandStatus {
  if ('error' in outcome) {
    const text = errorMessage(outcome.error);
    const message = `${kind === 'exec' ? 'error executing command in container' : 'error attaching to container'}: ${text}`;
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${message}`,
      reason: 'InternalError',
      details: { causes: [{ message }] },
      code: 500,
    };
  }
  const { exitCode } = outcome;
  if (exitCode === undefined || exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${exitCode}`,
    reason: 'NonZeroExitCode',
    // metav1.StatusCause serializes its Type as "reason"; clients read the exit code from here.
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** v4+ clients decode JSON; v1–v3 clients get the message text, and nothing on success. */
export function encodeStatus(status: CommandStatus, version: ProtocolVersion): Buffer | undefined {
  if (version >= 4) return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? 'unknown error');
}

/**
 * Splits the resize stream into `{"Width":..,"Height":..}` objects. Go clients send one JSON value
 * after another (json.Encoder), so objects are cut at their closing brace; bad objects are skipped.
 */
export class ResizeDecoder {
  private pending = '';

  push(text: string): TerminalSize[] {
    this.pending += text;
    const sizes: TerminalSize[] = [];
    let depth = 0;
    let start = -1;
    let consumed = 0;
    for (let i = 0; i < this.pending.length; i++) {
      const char = this.pending[i];
      if (char === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (char === '}' && depth > 0) {
        depth--;
        if (depth === 0) {
          const size = parseSize(this.pending.slice(start, i + 1));
          if (size) sizes.push(size);
          consumed = i + 1;
        }
      }
    }
    this.pending = this.pending.slice(consumed);
    if (this.pending.length > 4096) this.pending = ''; // garbage, not a resize: do not grow without bound
    return sizes;
  }
}

/** A terminal size as the resize stream carries it (Go's json.Encoder: one object per line). */
export function encodeSize(size: TerminalSize): string {
  return `${JSON.stringify({ Width: size.width, Height: size.height })}\n`;
}

/** A remote command the server reports as failed for a reason other than the command's exit code. */
export class RemoteCommandError extends Error {
  constructor(
    message: string,
    readonly status?: Partial<CommandStatus>,
  ) {
    super(message);
    this.name = 'RemoteCommandError';
  }
}

/**
 * The exit code the status on the error stream carries. From v4 on it is a metav1.Status as JSON,
 * always written, so none at all means the session broke before the command ended; before v4 only
 * a failure is written, as text. A failure without an exit code (the container is gone, the runtime
 * failed) throws a RemoteCommandError with the server's message.
 */
export function exitCodeFromStatus(text: string, protocol = REMOTECOMMAND_V4): number {
  if (text.trim() === '') {
    if (spdyProtocolVersion(protocol) >= 4) {
      throw new RemoteCommandError('the streaming connection closed before the command ended');
    }
    return 0;
  }
  let status: Partial<CommandStatus>;
  try {
    status = JSON.parse(text) as Partial<CommandStatus>;
  } catch {
    // Before v4 the error stream carries the message as plain text.
    throw new RemoteCommandError(text.trim());
  }
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find(candidate => candidate.reason === 'ExitCode');
  const code = Number(cause?.message);
  if (status.reason === 'NonZeroExitCode' && Number.isInteger(code)) return code;
  throw new RemoteCommandError(status.message ?? text.trim(), status);
}

export function parseSize(json: string): TerminalSize | undefined {
  try {
    const value = JSON.parse(json) as { Width?: unknown; Height?: unknown };
    const { Width: width, Height: height } = value;
    if (typeof width !== 'number' || typeof height !== 'number') return undefined;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 0 ||
      height < 0 ||
      width > 0xffff ||
      height > 0xffff
    )
      return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}
