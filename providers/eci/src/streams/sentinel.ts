import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * ECI reports no exit status for an exec (Sync answers carry the output only, and its WebSocket is
 * not known to send one), so the command can run under a shell that prints it after a nonce:
 * `sh -c '"$@"; echo <nonce> $?' sh <command...>`. `"$@"` runs the command as given (no quoting,
 * each item stays an item, so ECI's limit of 256 characters per item still holds), and its status
 * is the `$?` after the nonce, which the provider strips from the output.
 */
export function sentinelCommand(command: readonly string[], nonce: string): string[] {
  return ['sh', '-c', `"$@"; echo ${nonce} $?`, 'sh', ...command];
}

/** A nonce no command prints by chance. */
export function newNonce(): string {
  return `vkubelet-exit-${randomBytes(12).toString('hex')}`;
}

/** `output` without the sentinel line, and the exit code it carried (none: the command never finished). */
export function splitSentinel(output: string, nonce: string): { output: string; exitCode?: number } {
  const at = output.lastIndexOf(nonce);
  if (at < 0) return { output };
  const status = /^ (\d+)/.exec(output.slice(at + nonce.length));
  return { output: output.slice(0, at), ...(status ? { exitCode: Number(status[1]) } : {}) };
}

/** How many bytes at the end of `data` could be the start of `marker`. */
function partialMatch(data: Buffer, marker: Buffer): number {
  for (let length = Math.min(marker.length - 1, data.length); length > 0; length--) {
    if (data.subarray(data.length - length).equals(marker.subarray(0, length))) return length;
  }
  return 0;
}

/**
 * The stdout of a wrapped command, streamed: passes everything before the nonce through (holding
 * back only bytes that might begin it), drops the sentinel line, and keeps its exit code.
 */
export class SentinelFilter extends Transform {
  private readonly marker: Buffer;
  private held = Buffer.alloc(0);
  private status: string | undefined;

  constructor(nonce: string) {
    super();
    this.marker = Buffer.from(nonce);
  }

  /** The command's exit code, once the sentinel has passed. */
  get exitCode(): number | undefined {
    const match = this.status === undefined ? null : /^ (\d+)/.exec(this.status);
    return match ? Number(match[1]) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.status !== undefined) {
      // After the nonce only its status line comes; a few bytes are enough.
      if (this.status.length < 16) this.status += chunk.toString('latin1');
      return callback();
    }
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    const at = data.indexOf(this.marker);
    if (at >= 0) {
      this.held = Buffer.alloc(0);
      this.status = data.subarray(at + this.marker.length, at + this.marker.length + 16).toString('latin1');
      return callback(null, data.subarray(0, at));
    }
    const keep = partialMatch(data, this.marker);
    this.held = Buffer.from(data.subarray(data.length - keep));
    callback(null, data.subarray(0, data.length - keep));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.held.length > 0 ? this.held : undefined);
  }
}
