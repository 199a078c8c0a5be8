import { isNotFound } from '@vkubelet/provider-kit';

import { ignoreNotFound } from '../cri/client.js';
import { nextBackoff } from './backoff.js';
import type { ContainerRecord, CriPod } from './record.js';
import { lostStatus, markGone, neverRan, terminated, toCreateAgain } from './status.js';
import type { SyncContext } from './sync.js';

/** What the runtime reports of a pod's sandbox. */
export type SandboxFound = 'ready' | 'notready' | 'missing';

const GONE_WITH_SANDBOX = 'the container could not be located: its pod sandbox was removed';
const NEVER_STARTED = 'the pod sandbox stopped before the container started';

/**
 * A sandbox that is not ready (its pause task killed, its setup cut short) or gone, as the kubelet's
 * computePodActions handles it: its containers are stopped; then, unless the restart policy leaves
 * nothing to run (Never once a container ran; OnFailure once every app container succeeded), the
 * old sandbox is removed and a new one made with the next attempt, in which init containers run
 * again from the first and app containers start again (a restart each, at once), while those that
 * succeeded under OnFailure stay done. Otherwise the pod is over (`ended`).
 *
 * The old sandbox goes before the new one is made, so the pod never has two. Resolves true when a
 * ready sandbox is in place and the pass may start containers.
 */
export async function reconcileSandbox(pod: CriPod, found: SandboxFound, ctx: SyncContext): Promise<boolean> {
  const { state } = pod;
  const o = { signal: ctx.signal };
  await stopContainers(pod, found, ctx);
  if (!needsNewSandbox(pod)) {
    if (found === 'notready') await ctx.cri.stopPodSandbox(state.sandboxId, o).catch(ignoreNotFound);
    for (const record of state.app) {
      if (!record.status || neverRan(record)) record.status = lostStatus(record, NEVER_STARTED);
    }
    state.ended = true;
    ctx.logger.info('pod sandbox stopped; the restart policy leaves nothing to run', {
      pod: `${pod.namespace}/${pod.name}`,
    });
    return false;
  }
  if (Date.now() < (state.sandboxRetryAt ?? 0)) return false;

  if (found !== 'missing') {
    await ctx.cri.stopPodSandbox(state.sandboxId, o).catch(ignoreNotFound);
    await ctx.cri.removePodSandbox(state.sandboxId, o).catch(ignoreNotFound);
  }
  const policy = pod.pod.spec?.restartPolicy ?? 'Always';
  for (const record of state.init) retire(record);
  for (const record of state.app) {
    const succeeded = record.status?.state === 'CONTAINER_EXITED' && record.status.exit_code === 0;
    if (policy === 'OnFailure' && succeeded) record.removed = true;
    else retire(record);
  }

  const attempt = state.sandboxConfig.metadata.attempt + 1;
  const config = { ...state.sandboxConfig, metadata: { ...state.sandboxConfig.metadata, attempt } };
  let sandboxId: string;
  try {
    sandboxId = await ctx.cri.runPodSandbox(config, o);
  } catch (error) {
    // Nothing of the old sandbox is left; the next pass finds it missing and tries again.
    state.sandboxBackoffMs = nextBackoff(state.sandboxBackoffMs ?? 0, ctx.backoff);
    state.sandboxRetryAt = Date.now() + state.sandboxBackoffMs;
    ctx.logger.warn('creating a new pod sandbox failed', {
      pod: `${pod.namespace}/${pod.name}`,
      retryInMs: state.sandboxBackoffMs,
      error: String(error),
    });
    return false;
  }
  ctx.logger.info('pod sandbox replaced', {
    pod: `${pod.namespace}/${pod.name}`,
    was: found,
    attempt,
  });
  state.sandboxId = sandboxId;
  state.sandboxConfig = config;
  state.sandboxReady = true;
  state.sandboxRetryAt = undefined;
  state.sandboxBackoffMs = undefined;
  const status = await ctx.cri.podSandboxStatus(sandboxId, o);
  state.podIP = status.network?.ip || undefined;
  return true;
}

/**
 * The kubelet keeps a pod in a new sandbox unless the policy leaves nothing to run: under Never once
 * any container ran (a pod that never got a container made is tried again), under OnFailure once
 * every app container succeeded.
 */
function needsNewSandbox(pod: CriPod): boolean {
  const policy = pod.pod.spec?.restartPolicy ?? 'Always';
  const { init, app } = pod.state;
  if (policy === 'Never') return ![...init, ...app].some(ran);
  if (policy === 'OnFailure') {
    return app.some(r => !(r.status?.state === 'CONTAINER_EXITED' && r.status.exit_code === 0));
  }
  return true;
}

/** The container has run at some point (created but never started is no run, nor a lost first run). */
function ran(record: ContainerRecord): boolean {
  if (record.lastTermination || record.attempt > 0) return true;
  return record.status !== undefined && !toCreateAgain(record);
}

/** Kills what still runs in the old sandbox; a gone sandbox took its containers with it. */
async function stopContainers(pod: CriPod, found: SandboxFound, ctx: SyncContext): Promise<void> {
  const grace = pod.pod.spec?.terminationGracePeriodSeconds ?? 30;
  for (const record of [...pod.state.init, ...pod.state.app]) {
    record.waiting = undefined;
    if (!record.id || record.removed) continue;
    const live = record.status?.state !== 'CONTAINER_EXITED';
    if (found !== 'missing' && live) {
      try {
        await ctx.cri.stopContainer(record.id, grace, { signal: ctx.signal });
        record.status = await ctx.cri.containerStatus(record.id, { signal: ctx.signal });
        continue;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    } else if (found !== 'missing') continue;
    markGone(record, GONE_WITH_SANDBOX);
  }
}

/**
 * The container's instance went with the old sandbox: the next one is created in the new sandbox
 * at once, as a restart if the old one ran (lastState keeps how it ended).
 */
function retire(record: ContainerRecord): void {
  if (record.id === undefined && record.status === undefined) return;
  if (!toCreateAgain(record)) {
    record.lastTermination = terminated(record) ?? record.lastTermination;
    record.previousId = record.id ?? record.previousId;
    record.attempt += 1;
  }
  record.id = undefined;
  record.status = undefined;
  record.removed = undefined;
  record.waiting = undefined;
  record.notBefore = 0;
}
