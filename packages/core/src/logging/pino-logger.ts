import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';

import type { LogMeta, Logger } from '@vkubelet/provider-kit';

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

class PinoAdapter implements Logger {
  constructor(private readonly target: PinoLogger) {}
  trace(message: string, meta?: LogMeta): void {
    this.target.trace(meta ?? {}, message);
  }
  debug(message: string, meta?: LogMeta): void {
    this.target.debug(meta ?? {}, message);
  }
  info(message: string, meta?: LogMeta): void {
    this.target.info(meta ?? {}, message);
  }
  warn(message: string, meta?: LogMeta): void {
    this.target.warn(meta ?? {}, message);
  }
  error(message: string, meta?: LogMeta): void {
    this.target.error(meta ?? {}, message);
  }
  child(meta: LogMeta): Logger {
    return new PinoAdapter(this.target.child(meta));
  }
}

/**
 * The default logger: JSON lines on stderr (stdout stays free for command output), with errors
 * serialised under `err`. Embedders pass their own `Logger` instead.
 */
export function createPinoLogger(
  options: { level?: LogLevel; destination?: NodeJS.WritableStream } = {},
): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { component: 'virtual-kubelet' },
    serializers: { err: pino.stdSerializers.err },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return new PinoAdapter(pino(pinoOptions, destination));
}
