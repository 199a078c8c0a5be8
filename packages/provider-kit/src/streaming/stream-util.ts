import type { Readable, Writable } from 'node:stream';

import type { TerminalSize } from '../provider.js';

/**
 * Copies `source` into `target` with backpressure (a slow target pauses the source, which pauses
 * the connection beneath it), without ending `target`: the caller owns it. Resolves once `source`
 * ended; rejects when it closed without ending (the connection broke).
 */
export function copyInto(source: Readable, target: Writable | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (target) source.pipe(target, { end: false });
    else source.resume();
    let ended = false;
    source.once('end', () => {
      ended = true;
      resolve();
    });
    source.once('close', () => {
      if (!ended) reject(new Error('streaming connection closed before the stream ended'));
    });
  });
}

/** Everything `source` sends until it ends, as UTF-8 text (the remote command status). */
export function readText(source: Readable, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let ended = false;
    source.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      if (text.length < limit) text += chunk;
    });
    source.once('end', () => {
      ended = true;
      resolve(text);
    });
    source.once('close', () => {
      if (!ended) reject(new Error('streaming connection closed before the command ended'));
    });
  });
}

/** Writes each terminal size from `sizes` to `target` as `encode` puts it, until either ends. */
export async function forwardResizes(
  sizes: AsyncIterable<TerminalSize>,
  target: Writable,
  encode: (size: TerminalSize) => string | Buffer,
): Promise<void> {
  for await (const size of sizes) {
    if (target.destroyed || target.writableEnded) return;
    target.write(encode(size));
  }
}

/** The signal's reason as an Error. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
