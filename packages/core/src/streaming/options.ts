import type { Logger } from '@vkubelet/provider-kit';

export interface StreamingOptions {
  /** Close a session with no traffic for this long (kubelet default: 4 h). */
  idleTimeoutMs: number;
  /** Time the client has to open every expected stream (kubelet default: 30 s). */
  creationTimeoutMs: number;
  logger: Logger;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** Bad options are a programming error of the caller: fail loudly at the boundary. */
export function checkOptions(options: StreamingOptions): void {
  for (const key of ['idleTimeoutMs', 'creationTimeoutMs'] as const) {
    const value = options[key];
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`StreamingOptions.${key} must be a positive number, got ${value}`);
  }
}

/** For fire-and-forget session tasks: a bug must be logged, never become an unhandled rejection. */
export function reportFailure(logger: Logger, what: string): (error: unknown) => void {
  return error =>
    logger.error(`${what} failed unexpectedly`, {
      error: error instanceof Error ? error.stack : String(error),
    });
}
