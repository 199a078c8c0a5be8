import type { TerminalSize } from '@vkubelet/provider-kit';

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
    const text = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
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
