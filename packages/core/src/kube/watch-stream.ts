import type { V1Status } from '@kubernetes/client-node';

import { KubeApiError } from './errors.js';

/** One event of a watch stream; ERROR events are not delivered but raised as `KubeApiError`. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * Read a watch response body (one JSON event per line) and hand each event to `onEvent`. Resolves when
 * the server ends the stream; rejects with a `KubeApiError` (inStream) on an ERROR event, and with a
 * plain Error on a line that is not a watch event (client-node silently drops those).
 */
export async function readWatchStream<T>(
  body: AsyncIterable<Uint8Array>,
  onEvent: (event: WatchEvent<T>) => void,
  context: string,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) deliver(line, onEvent, context);
      newline = buffered.indexOf('\n');
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest) deliver(rest, onEvent, context);
}

function deliver<T>(line: string, onEvent: (event: WatchEvent<T>) => void, context: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`${context}: watch stream sent a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const { type, object } = (parsed ?? {}) as { type?: unknown; object?: unknown };
  if (typeof type !== 'string' || !EVENT_TYPES.has(type) || typeof object !== 'object' || object === null) {
    throw new Error(`${context}: watch stream sent an unexpected event: ${line.slice(0, 200)}`);
  }
  if (type === 'ERROR') {
    const status = object as V1Status;
    throw new KubeApiError(status.code ?? 500, status, context, true);
  }
  onEvent({ type: type as WatchEvent<T>['type'], object: object as T });
}
