import type { ServerResponse } from 'node:http';

/** Resolves on 'drain', 'close' or abort, whichever first, and leaves no listener behind. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    signal.addEventListener('abort', done);
  });
}

/**
 * Writes chunks to a streaming response, one chunked write per line so `kubectl logs -f` shows each
 * line as it comes, and waits for 'drain' whenever the socket buffer is full so a slow client slows
 * the provider down instead of growing memory. Stops (without error) when `signal` aborts, which the
 * caller ties to the client going away.
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  signal: AbortSignal,
): Promise<void> {
  for await (const chunk of chunks) {
    if (signal.aborted || res.destroyed) return;
    if (!res.write(chunk)) await drained(res, signal);
  }
}
