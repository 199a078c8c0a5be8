import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound, type Logger } from '@vkubelet/provider-kit';

import { podKey } from './compare.js';
import { reportedStatus, withoutStatus } from './kept-state.js';
import type { ProviderCalls } from './provider-calls.js';
import type { PodInformer, PodState } from './types.js';
import { errorMessage } from '../util/error-message.js';
import { forEachConcurrently, uidOf } from './util.js';

/**
 * Start-up reconciliation against a FULLY SYNCED informer: provider pods whose API pod is gone, or
 * has another UID (deleted and re-created meanwhile), are deleted from the provider; the others are
 * returned as already running, so a restarted agent neither deletes nor re-creates them. Returns
 * undefined when the provider could not list its pods: then nothing is deleted (upstream's GC can
 * delete healthy pods when scopes disagree, kip#107) and creates look each pod up first.
 */
export async function reconcileWithProvider(
  calls: ProviderCalls,
  informer: PodInformer,
  concurrency: number,
  logger: Logger,
  signal: AbortSignal,
): Promise<Map<string, PodState> | undefined> {
  let providerPods: V1Pod[];
  try {
    providerPods = await calls.list(signal);
  } catch (err) {
    logger.warn('listing provider pods failed; skipping start-up clean-up', { err: errorMessage(err) });
    return undefined;
  }
  const running = new Map<string, PodState>();
  const dangling: V1Pod[] = [];
  for (const providerPod of providerPods) {
    const key = podKey(providerPod);
    const apiPod = informer.get(key);
    const providerUid = uidOf(providerPod);
    if (!apiPod || (providerUid !== '' && providerUid !== uidOf(apiPod))) {
      dangling.push(providerPod);
      continue;
    }
    running.set(key, {
      uid: uidOf(apiPod),
      inProvider: true,
      applied: withoutStatus(providerPod),
      // The previous agent may have stopped before writing the latest status: the caller syncs it.
      reported: providerPod.status ? reportedStatus(providerPod) : undefined,
      failureWritten: false,
      deletedInProvider: false,
    });
  }
  await forEachConcurrently(dangling, concurrency, async pod => {
    if (signal.aborted) return;
    try {
      await calls.delete(pod, signal);
      logger.info('deleted dangling provider pod', { pod: podKey(pod), uid: uidOf(pod) });
    } catch (err) {
      if (!isNotFound(err)) {
        logger.warn('deleting dangling provider pod failed', { pod: podKey(pod), err: errorMessage(err) });
      }
    }
  });
  return running;
}
