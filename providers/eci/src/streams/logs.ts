import { setTimeout as sleep } from 'node:timers/promises';

import {
  END_OF_HISTORY,
  formatRfc3339Nano,
  logsSince,
  type CallOptions,
  type ContainerLogOptions,
  type LogEntry,
  type LogItem,
} from '@vkubelet/provider-kit';

import type { EciClient } from '../client/eci-client.js';
import type { DescribeContainerLogResponse } from '../client/wire.js';

/** DescribeContainerLog returns at most the last 2000 lines. */
export const MAX_TAIL = 2000;

export interface LogSource {
  client: EciClient;
  containerGroupId: string;
  container: string;
  options: ContainerLogOptions & CallOptions;
  pollIntervalMs: number;
  /** True once the container has stopped or the pod is gone: a follow ends after one last read. */
  ended: () => boolean;
}

/** A line of `Timestamps=true` content: the time, a space, the text. */
interface TimedLine extends LogEntry {
  ms: number;
}

/** DescribeContainerLog's content as lines with their times (an unreadable time reads as now). */
export function parseLogContent(content: string): TimedLine[] {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map(line => {
    const space = line.indexOf(' ');
    const ms = space > 0 ? Date.parse(line.slice(0, space)) : Number.NaN;
    if (Number.isNaN(ms)) {
      const now = Date.now();
      return { time: new Date(now), text: line, ms: now };
    }
    return { time: new Date(ms), text: line.slice(space + 1), ms };
  });
}

async function readLog(
  source: LogSource,
  window: { tail: number; since?: number | undefined },
): Promise<TimedLine[]> {
  const { options } = source;
  const out = await source.client.request<DescribeContainerLogResponse>(
    'DescribeContainerLog',
    {
      ContainerGroupId: source.containerGroupId,
      ContainerName: source.container,
      Tail: window.tail,
      StartTime: window.since !== undefined ? formatRfc3339Nano(new Date(window.since)) : undefined,
      Timestamps: true,
      LastTime: options.previous || undefined,
    },
    { signal: options.signal, idempotent: true },
  );
  return parseLogContent(out.Content ?? '');
}

/**
 * The lines of `read` that were not yielded before: every line after `cursor`, and those at
 * `cursor` beyond the `atCursor` already yielded (lines of one instant keep their order).
 */
export function unseenLines(
  read: readonly TimedLine[],
  cursor: number | undefined,
  atCursor: number,
): TimedLine[] {
  if (cursor === undefined) return [...read];
  let skip = atCursor;
  return read.filter(line => {
    if (line.ms < cursor) return false;
    if (line.ms === cursor && skip > 0) {
      skip--;
      return false;
    }
    return true;
  });
}

/**
 * A container's log from DescribeContainerLog, oldest first. Each read asks for timestamped lines,
 * so a follow can poll with `StartTime` at the last line seen and skip what it already yielded: no
 * line twice, none lost while a poll returns fewer than 2000 lines. The history is the last 2000
 * lines at most (ECI's limit); with `previous`, the run before the last restart (`LastTime`).
 */
export async function readContainerLogs(source: LogSource): Promise<AsyncIterable<LogItem>> {
  const { options } = source;
  const since = logsSince(options, new Date())?.getTime();
  const tail = options.tailLines !== undefined ? Math.min(options.tailLines, MAX_TAIL) : MAX_TAIL;
  // Read now, so a group ECI does not know fails the request rather than the stream.
  const history = await readLog(source, { tail, since });
  return follow(source, history, since);
}

async function* follow(
  source: LogSource,
  history: TimedLine[],
  since: number | undefined,
): AsyncGenerator<LogItem> {
  const { options } = source;
  yield* history.map(toEntry);
  if (!options.follow || options.previous) return;
  yield END_OF_HISTORY;
  let cursor = history.at(-1)?.ms ?? since;
  let atCursor = history.filter(line => line.ms === cursor).length;
  while (!options.signal.aborted) {
    const ended = source.ended();
    let read: TimedLine[];
    try {
      read = await readLog(source, { tail: MAX_TAIL, since: cursor });
    } catch (error) {
      if (options.signal.aborted) return;
      throw error;
    }
    const fresh = unseenLines(read, cursor, atCursor);
    yield* fresh.map(toEntry);
    const last = read.at(-1);
    if (last && (cursor === undefined || last.ms >= cursor)) {
      cursor = last.ms;
      atCursor = read.filter(line => line.ms === cursor).length;
    }
    if (ended && fresh.length === 0) return;
    if (fresh.length === 0) {
      try {
        await sleep(source.pollIntervalMs, undefined, { signal: options.signal });
      } catch {
        return;
      }
    }
  }
}

function toEntry(line: TimedLine): LogEntry {
  return { time: line.time, text: line.text };
}
