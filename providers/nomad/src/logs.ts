import { END_OF_HISTORY, type LogEntry, type LogItem } from '@vkubelet/provider-kit';

import type { LogType, NomadApi } from './nomad/api.js';
import { decodeFrames } from './nomad/frames.js';

/** Where one task's log is read from. */
export interface TaskLog {
  api: NomadApi;
  allocId: string;
  task: string;
  /**
   * The time history lines are stamped with: Nomad's logs carry no timestamps, so lines already
   * written get the start of the task's current run; followed lines get the time they arrive.
   */
  historyTime: Date;
}

/** Splits bytes into lines (without their newline), keeping a partial line for the next chunk. */
class LineSplitter {
  private partial = '';

  push(text: string): string[] {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }

  /** The last line when the log did not end with a newline. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}

/** A stream's bytes from `offset`: its lines, and the offset after them (for a follow to resume at). */
async function readStream(
  log: TaskLog,
  type: LogType,
  offset: number,
  follow: boolean,
  signal: AbortSignal,
  onLines: (lines: string[]) => void,
): Promise<number> {
  const body = await log.api.logs(log.allocId, { task: log.task, type, offset, follow }, signal);
  const splitter = new LineSplitter();
  let position = offset;
  try {
    for await (const frame of decodeFrames(body)) {
      if (!frame.Data) continue;
      const data = Buffer.from(frame.Data, 'base64');
      position = frame.Offset ?? position + data.length;
      const lines = splitter.push(data.toString('utf8'));
      if (lines.length > 0) onLines(lines);
    }
  } finally {
    body.destroy();
  }
  // Without follow the log is all there is; a followed stream that ended saw the task end.
  const rest = splitter.flush();
  if (rest.length > 0) onLines(rest);
  return position;
}

/**
 * A container's log from Nomad's `/v1/client/fs/logs`: stdout, then stderr (Nomad keeps them in
 * separate files, so their relative order is lost). With `follow`, END_OF_HISTORY, then lines of
 * both as they arrive, until the task ends (Nomad closes the stream) or `signal` aborts.
 */
export async function* taskLogLines(
  log: TaskLog,
  follow: boolean,
  signal: AbortSignal,
): AsyncGenerator<LogItem> {
  const history: Record<LogType, string[]> = { stdout: [], stderr: [] };
  const [stdoutEnd, stderrEnd] = await Promise.all(
    (['stdout', 'stderr'] as const).map(type =>
      readStream(log, type, 0, false, signal, lines => history[type].push(...lines)),
    ),
  );
  for (const type of ['stdout', 'stderr'] as const) {
    for (const text of history[type]) yield { time: log.historyTime, text, stream: type } satisfies LogEntry;
  }
  if (!follow) return;
  yield END_OF_HISTORY;

  // Both streams feed one queue; the generator yields from it until both have ended. The reads stop
  // when the caller aborts or stops iterating.
  const stop = new AbortController();
  const reading = AbortSignal.any([signal, stop.signal]);
  const queue: LogEntry[] = [];
  let wake: (() => void) | undefined;
  let open = 2;
  let failure: Error | undefined;
  const notify = (): void => wake?.();
  reading.addEventListener('abort', notify);
  const push = (type: LogType) => (lines: string[]) => {
    const time = new Date();
    for (const text of lines) queue.push({ time, text, stream: type });
    notify();
  };
  const ends: Record<LogType, number> = { stdout: stdoutEnd ?? 0, stderr: stderrEnd ?? 0 };
  const follows = (['stdout', 'stderr'] as const).map(type =>
    readStream(log, type, ends[type], true, reading, push(type))
      .catch((error: unknown) => {
        if (!reading.aborted) failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        open--;
        notify();
      }),
  );
  try {
    while (!reading.aborted) {
      while (queue.length > 0) yield queue.shift()!;
      if (failure) throw failure;
      if (open === 0) return;
      await new Promise<void>(resolve => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop.abort();
    reading.removeEventListener('abort', notify);
    await Promise.allSettled(follows);
  }
}
