import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import {
  END_OF_HISTORY,
  type CallOptions,
  type ContainerLogOptions,
  type LogEntry,
  type LogItem,
} from '@vkubelet/provider-kit';
import { setTimeout as sleep } from 'node:timers/promises';

import { callArm } from './azure/errors.js';

export interface LogSource {
  client: ContainerInstanceManagementClient;
  resourceGroup: string;
  group: string;
  container: string;
  options: ContainerLogOptions & CallOptions;
  pollIntervalMs: number;
  /** True once the container will write no more (its pod is over or gone): a follow then ends. */
  ended(): boolean;
}

/** A raw line and what it says: `<RFC 3339 time> <text>` with `timestamps=true`. */
interface RawLine {
  raw: string;
  entry: LogEntry;
}

const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$/;

/** The lines of ACI's log content, complete lines only unless `partial` (a line still being written). */
export function parseLogContent(content: string, partial: boolean, now = new Date()): RawLine[] {
  const parts = content.split('\n');
  const last = parts.pop() ?? '';
  if (partial && last !== '') parts.push(last);
  return parts.map(raw => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const match = STAMPED.exec(line);
    const time = match ? new Date(match[1]!) : now;
    return {
      raw,
      entry: { time: Number.isNaN(time.getTime()) ? now : time, text: match ? match[2]! : line },
    };
  });
}

/**
 * The lines of `latest` that come after what was already given out, whose last line was `lastRaw`
 * at position `given` of an earlier read. ACI returns the whole current run (up to 4 MB) each time:
 * normally the earlier lines are a prefix; when the start was cut off, the last line given is found
 * again; when it is not there at all (the container restarted), the newer lines are the new ones.
 */
export function linesAfter(latest: RawLine[], given: number, lastRaw: RawLine | undefined): RawLine[] {
  if (!lastRaw) return latest;
  if (latest.length >= given && given > 0 && latest[given - 1]!.raw === lastRaw.raw)
    return latest.slice(given);
  const again = latest.findLastIndex(line => line.raw === lastRaw.raw);
  if (again >= 0) return latest.slice(again + 1);
  return latest.filter(line => line.entry.time.getTime() > lastRaw.entry.time.getTime());
}

async function read(source: LogSource, tail: number | undefined): Promise<string> {
  const { client, resourceGroup, group, container, options } = source;
  const logs = await callArm('Containers_ListLogs', () =>
    client.containers.listLogs(resourceGroup, group, container, {
      timestamps: true,
      ...(tail !== undefined ? { tail } : {}),
      abortSignal: options.signal,
    }),
  );
  return logs.content ?? '';
}

/**
 * A container's log from ACI (the current run; ACI keeps no earlier one), oldest first. With
 * `follow`: END_OF_HISTORY after the lines already written, then new lines by reading the log again
 * every `pollIntervalMs`, each line given once, until the signal aborts or the container has ended.
 */
export async function readContainerLogs(source: LogSource): Promise<AsyncIterable<LogItem>> {
  const { options } = source;
  // ACI can cut to the tail itself; core applies tailLines to the history anyway.
  const tail = options.tailLines !== undefined && !options.follow ? options.tailLines : undefined;
  // The first read happens now, so a failing read fails the request rather than the stream.
  const first = await read(source, tail);
  return iterate(source, first);
}

async function* iterate(source: LogSource, first: string): AsyncGenerator<LogItem> {
  const { options } = source;
  let lines = parseLogContent(first, !options.follow);
  for (const line of lines) yield line.entry;
  if (!options.follow) return;
  yield END_OF_HISTORY;
  let given = lines.length;
  let last = lines.at(-1);
  for (;;) {
    const ended = source.ended();
    if (!ended) {
      try {
        await sleep(source.pollIntervalMs, undefined, { signal: options.signal });
      } catch {
        return;
      }
    }
    // After the end, one last read takes what was written last, a final unfinished line too.
    lines = parseLogContent(await read(source, undefined), ended);
    const fresh = linesAfter(lines, given, last);
    for (const line of fresh) yield line.entry;
    given = lines.length;
    last = lines.at(-1) ?? last;
    if (ended) return;
  }
}
