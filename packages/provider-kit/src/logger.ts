/** Structured fields attached to a log line (pod, node, provider call, ...). */
export type LogMeta = Record<string, unknown>;

/**
 * The logger every part of vkubelet writes to. Core ships a pino adapter as the default; an embedder
 * plugs any other logger in by implementing these six methods.
 */
export interface Logger {
  trace(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
  /** A logger that adds `meta` to every line it writes. */
  child(meta: LogMeta): Logger;
}

/** A logger that drops everything (tests, embedders that log elsewhere). */
export const noopLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
};
