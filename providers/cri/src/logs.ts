import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { END_OF_HISTORY, type LogEntry, type LogItem } from '@vkubelet/provider-kit';

/**
 * One line of a CRI log file: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`. P marks a partial line
 * (the runtime split a long line); F the full line or the last part of one.
 */
export interface CriLogLine {
  time: Date;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

export function parseCriLogLine(line: string): CriLogLine | undefined {
  const first = line.indexOf(' ');
  const second = line.indexOf(' ', first + 1);
  if (first < 0 || second < 0) return undefined;
  const stream = line.slice(first + 1, second);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const time = new Date(line.slice(0, first));
  if (Number.isNaN(time.getTime())) return undefined;
  // The tag field may carry more than P/F in future (`P:extra`); only its first letter matters.
  const third = line.indexOf(' ', second + 1);
  const tag = third < 0 ? line.slice(second + 1) : line.slice(second + 1, third);
  const text = third < 0 ? '' : line.slice(third + 1);
  return { time, stream, partial: tag.startsWith('P'), text };
}

/** Joins partial lines per stream into whole log entries. */
export class CriLogJoiner {
  private readonly pending = new Map<string, { time: Date; text: string }>();

  push(line: CriLogLine): LogEntry | undefined {
    const held = this.pending.get(line.stream);
    if (line.partial) {
      this.pending.set(line.stream, { time: held?.time ?? line.time, text: (held?.text ?? '') + line.text });
      return undefined;
    }
    this.pending.delete(line.stream);
    return { time: held?.time ?? line.time, text: (held?.text ?? '') + line.text, stream: line.stream };
  }
}

export interface ReadLogOptions {
  follow: boolean;
  signal: AbortSignal;
  /** Whether the container is still running (following stops once it is not and the file is drained). */
  isRunning?: () => boolean | Promise<boolean>;
  pollMs?: number;
}

/**
 * The entries of a CRI log file, oldest first. With `follow`, yields END_OF_HISTORY after the lines
 * present now, then new lines as they are written, until the signal aborts or the container stops.
 */
export async function* readCriLog(path: string, options: ReadLogOptions): AsyncGenerator<LogItem> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !options.follow) throw error;
    // The container has not written yet: wait for the file.
    yield END_OF_HISTORY;
    while (!options.signal.aborted) {
      await sleep(options.pollMs ?? 200, undefined, { signal: options.signal }).catch(() => undefined);
      try {
        file = await open(path, 'r');
        break;
      } catch {
        if (options.isRunning && !(await options.isRunning())) return;
      }
    }
    if (options.signal.aborted) return;
    yield* readFrom(file!, { ...options, historyDone: true });
    return;
  }
  yield* readFrom(file, { ...options, historyDone: false });
}

async function* readFrom(
  file: FileHandle,
  options: ReadLogOptions & { historyDone: boolean },
): AsyncGenerator<LogItem> {
  const joiner = new CriLogJoiner();
  const buffer = Buffer.alloc(64 * 1024);
  let position = 0;
  let rest = '';
  let historyDone = options.historyDone;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        const lines = (rest + buffer.toString('utf8', 0, bytesRead)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          const parsed = parseCriLogLine(line);
          const entry = parsed && joiner.push(parsed);
          if (entry) yield entry;
        }
        continue;
      }
      if (!options.follow) return;
      if (!historyDone) {
        historyDone = true;
        yield END_OF_HISTORY;
      }
      if (options.signal.aborted) return;
      const size = (await stat(pathOf(file)).catch(() => undefined))?.size;
      if (size !== undefined && size < position) position = 0; // truncated or rotated in place
      if (options.isRunning && !(await options.isRunning())) {
        // One last read catches lines written just before the exit.
        const last = await file.read(buffer, 0, buffer.length, position);
        if (last.bytesRead === 0) return;
        continue;
      }
      await sleep(options.pollMs ?? 200, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await file.close();
  }
}

function pathOf(file: FileHandle): string {
  return `/proc/self/fd/${file.fd}`;
}
