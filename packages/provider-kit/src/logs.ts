import { END_OF_HISTORY, type ContainerLogOptions, type LogEntry, type LogItem } from './provider.js';

/**
 * Go's `time.RFC3339Nano` in UTC: fractional seconds with trailing zeros trimmed (and no dot at all
 * for a whole second), which is how the kubelet prefixes lines with `timestamps=true`.
 */
export function formatRfc3339Nano(time: Date): string {
  const iso = time.toISOString(); // 2024-01-02T03:04:05.600Z
  const [whole, fraction = ''] = iso.slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''}Z`;
}

/** The earliest line time to show (sinceTime wins over sinceSeconds), resolved once per request. */
export function logsSince(options: ContainerLogOptions, now: Date): Date | undefined {
  if (options.sinceTime) return options.sinceTime;
  if (options.sinceSeconds !== undefined) return new Date(now.getTime() - options.sinceSeconds * 1000);
  return undefined;
}

function formatLine(entry: LogEntry, timestamps: boolean): Buffer {
  const text = timestamps ? `${formatRfc3339Nano(entry.time)} ${entry.text}\n` : `${entry.text}\n`;
  return Buffer.from(text, 'utf8');
}

/**
 * Applies ContainerLogOptions to a provider's log items, whatever the provider honoured itself:
 * `since` filters every line, `tailLines` keeps the last N lines of the history (the lines before
 * END_OF_HISTORY, or all of them when the iterable has no marker), `timestamps` prefixes each line
 * with its RFC 3339 time, and `limitBytes` cuts the output at that many bytes (mid-line, like the
 * kubelet) and ends it. Core's logs endpoint and the conformance suite both use this, so a provider
 * is judged by exactly what `kubectl logs` would show.
 *
 * Yields one buffer per line so a writer can flush each as it comes. Stopping the iteration (break,
 * limitBytes reached) returns the provider's iterator, which ends a follow.
 */
export async function* applyLogOptions(
  items: AsyncIterable<LogItem>,
  options: ContainerLogOptions,
  now: Date = new Date(),
): AsyncGenerator<Buffer, void, undefined> {
  const since = logsSince(options, now);
  const tail = options.tailLines;
  let remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  // Only a tail needs the history held back; everything else streams line by line.
  let history: LogEntry[] | undefined = tail === undefined ? undefined : [];

  function* emit(entry: LogEntry): Generator<Buffer, boolean> {
    let line = formatLine(entry, options.timestamps);
    if (line.length >= remaining) {
      line = line.subarray(0, remaining);
      remaining = 0;
      if (line.length > 0) yield line;
      return false;
    }
    remaining -= line.length;
    yield line;
    return true;
  }

  function* flushHistory(): Generator<Buffer, boolean> {
    const held = history ?? [];
    history = undefined;
    for (const entry of held) {
      if (!(yield* emit(entry))) return false;
    }
    return true;
  }

  for await (const item of items) {
    if (item === END_OF_HISTORY) {
      if (!(yield* flushHistory())) return;
      continue;
    }
    if (since && item.time.getTime() < since.getTime()) continue;
    if (history) {
      if (tail === undefined || tail === 0) continue;
      history.push(item);
      if (history.length > tail) history.shift();
      continue;
    }
    if (!(yield* emit(item))) return;
  }
  yield* flushHistory();
}
