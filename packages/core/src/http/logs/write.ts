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
 * Writes chunks to a streaming response so `kubectl logs -f` shows each line as it comes, and waits
 * for 'drain' whenever the socket buffer is full so a slow client slows the provider down instead of
 * growing memory. Lines that are ready together (history, bursts) are corked into one chunk, flushed
 * at the end of the tick, so no line waits for a later one. Stops (without error) when `signal`
 * aborts, which the caller ties to the client going away.
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  signal: AbortSignal,
): Promise<void> {
  let corked = false;
  const flush = (): void => {
    if (!corked) return;
    corked = false;
    res.uncork();
  };
  try {
    for await (const chunk of chunks) {
      if (signal.aborted || res.destroyed) return;
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(flush);
      }
      if (!res.write(chunk)) {
        flush();
        await drained(res, signal);
      }
    }
  } finally {
    flush();
  }
}
