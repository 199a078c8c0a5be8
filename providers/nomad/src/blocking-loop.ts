import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import type { QueryResult } from './nomad/client.js';

export interface BlockingLoopOptions<T> {
  /** What the loop follows, for logs (`allocations`, `jobs`, `nodes`). */
  name: string;
  /** One read: at once for index 0, else a blocking query that answers after a change or a wait. */
  read(index: number, signal: AbortSignal): Promise<QueryResult<T>>;
  /** Every answer (including the first and those after a timed-out wait); the next read waits for it. */
  onAnswer(body: T, index: number): void | Promise<void>;
  logger: Logger;
  signal: AbortSignal;
  /** Back-off after a failed read: first and longest wait. */
  retryMs?: { min: number; max: number };
}

/**
 * Follows a Nomad list with blocking queries: each read waits on the server until the data's index
 * passes the last one seen (or the wait runs out), so an idle cluster costs one request per wait
 * period, and a change is seen as soon as Nomad makes it. An index that goes backwards (a restored
 * snapshot, another server) starts over from 0, as Nomad's documentation asks. Failed reads are
 * retried with exponential back-off; resolves once `signal` aborts.
 */
export async function runBlockingLoop<T>(options: BlockingLoopOptions<T>): Promise<void> {
  const { signal, logger } = options;
  const retry = options.retryMs ?? { min: 500, max: 30_000 };
  let index = 0;
  let backoff = retry.min;
  let failing = false;
  while (!signal.aborted) {
    try {
      const answer = await options.read(index, signal);
      if (failing) logger.info(`following Nomad ${options.name} again`);
      failing = false;
      backoff = retry.min;
      index = answer.index < index || answer.index <= 0 ? 0 : answer.index;
      await options.onAnswer(answer.body, answer.index);
      // Nomad answered without a usable index: do not spin on it.
      if (index === 0) await sleep(retry.min, undefined, { signal });
    } catch (error) {
      if (signal.aborted) return;
      if (!failing)
        logger.warn(`reading Nomad ${options.name} failed; retrying`, {
          error: errorMessage(error),
        });
      failing = true;
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, retry.max);
    }
  }
}
