import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage, isNotFound, type Logger } from '@vkubelet/provider-kit';

import { podKey } from './compare.js';
import { reportedStatus, withoutStatus } from './kept-state.js';
import type { ProviderCalls } from './provider-calls.js';
import type { PodInformer, PodState } from './types.js';
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
  const dangling = danglingPods(providerPods, informer);
  const danglingSet = new Set(dangling);
  for (const providerPod of providerPods) {
    const key = podKey(providerPod);
    const apiPod = informer.get(key);
    if (!apiPod || danglingSet.has(providerPod)) continue;
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
  await deleteDangling(calls, dangling, concurrency, logger, signal);
  return running;
}

/**
 * Provider pods whose API pod is gone, or has another UID, per a fully synced node-scoped informer:
 * what neither the API server nor anyone else will ever ask the provider to delete.
 */
export function danglingPods(providerPods: readonly V1Pod[], informer: PodInformer): V1Pod[] {
  return providerPods.filter(providerPod => {
    const apiPod = informer.get(podKey(providerPod));
    const providerUid = uidOf(providerPod);
    return !apiPod || (providerUid !== '' && providerUid !== uidOf(apiPod));
  });
}

/** Deletes dangling provider pods, `concurrency` at a time; failures are logged (the next pass retries). */
export async function deleteDangling(
  calls: ProviderCalls,
  dangling: readonly V1Pod[],
  concurrency: number,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
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
}
