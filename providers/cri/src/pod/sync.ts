import { isNotFound, type Logger } from '@vkubelet/provider-kit';

import type { CriApi } from '../cri/client.js';
import type { BackoffPolicy } from './backoff.js';
import { killAndRestart, recreateContainer, replaceContainer, startContainer } from './container-start.js';
import type { ContainerRecord, CriPod } from './record.js';
import { reconcileSandbox, type SandboxFound } from './sandbox-sync.js';
import { initFailedForGood, initSucceeded, markGone, toCreateAgain } from './status.js';

export interface SyncContext {
  cri: CriApi;
  nodeName: string;
  backoff: BackoffPolicy;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * What one container needs, from what the runtime reports (the kubelet's computePodActions):
 * - `keep`: running, or done for good under the restart policy;
 * - `start`: no instance (never created, or removed behind our back), or exited and restarted by
 *   policy after its crash back-off;
 * - `recreate`: created but not started (the agent died between CreateContainer and StartContainer,
 *   or the start's request was cancelled), or lost by the runtime across its restart: its end says
 *   nothing of the workload, so it is removed and created again with the same attempt at once,
 *   without a restart counted, whatever the policy;
 * - `kill-and-restart`: state unknown to the runtime: stopped, then a new instance at once whatever
 *   the policy, as the kubelet does, so that two instances never run.
 */
export type ContainerStep = 'keep' | 'start' | 'recreate' | 'kill-and-restart';

export function nextStep(record: ContainerRecord, policy: string): ContainerStep {
  const status = record.status;
  if (!status) return 'start';
  switch (status.state) {
    case 'CONTAINER_RUNNING':
      return 'keep';
    case 'CONTAINER_CREATED':
      return 'recreate';
    case 'CONTAINER_EXITED':
      if (toCreateAgain(record)) return 'recreate';
      if (policy === 'Never' || (policy === 'OnFailure' && status.exit_code === 0)) return 'keep';
      return 'start';
    default:
      return 'kill-and-restart';
  }
}

/**
 * One reconcile pass over a pod: read the sandbox and containers from the runtime; replace a
 * sandbox that is not ready (or end the pod when its restart policy leaves nothing to run); then
 * start what should run next (init containers one at a time, in order; then every app container).
 * A pod being deleted is only read. The provider runtime runs it (never twice at once for a pod)
 * after create and update, on every status interval, and on container events. A container this
 * process creates is started in the same pass, so a container found CREATED was left so by an
 * earlier process or an interrupted start.
 */
export async function syncPod(pod: CriPod, ctx: SyncContext): Promise<void> {
  const sandbox = await refresh(pod, ctx);
  const { state } = pod;
  if (pod.deleting || state.deleteStarted || state.ended) return;
  if (state.deadlineExceeded || deadlinePassed(pod)) {
    await stopForDeadline(pod, ctx);
    return;
  }
  if (sandbox !== 'ready' && !(await reconcileSandbox(pod, sandbox, ctx))) return;
  const policy = pod.pod.spec?.restartPolicy ?? 'Always';

  if (initFailedForGood(pod)) return;
  for (const init of state.init) {
    if (initSucceeded(init)) continue;
    await apply(pod, init, nextStep(init, policy), ctx);
    return;
  }
  for (const app of state.app) {
    if (app.replaceWith) {
      await replaceContainer(pod, app, ctx);
      continue;
    }
    await apply(pod, app, nextStep(app, policy), ctx);
  }
}

async function apply(pod: CriPod, record: ContainerRecord, step: ContainerStep, ctx: SyncContext) {
  // Done for good (a Never container that failed to start): its terminated state shows, not why.
  if (step === 'keep') record.waiting = undefined;
  else if (step === 'start') await startContainer(pod, record, ctx);
  else if (step === 'recreate') await recreateContainer(pod, record, ctx);
  else if (step === 'kill-and-restart') await killAndRestart(pod, record, ctx);
}

function deadlinePassed(pod: CriPod): boolean {
  const deadline = pod.pod.spec?.activeDeadlineSeconds;
  return deadline !== undefined && Date.now() - pod.state.createdAt.getTime() > deadline * 1000;
}

/** activeDeadlineSeconds passed: kubelet kills the containers and fails the pod for good. */
async function stopForDeadline(pod: CriPod, ctx: SyncContext): Promise<void> {
  pod.state.deadlineExceeded = true;
  const grace = pod.pod.spec?.terminationGracePeriodSeconds ?? 30;
  for (const record of [...pod.state.init, ...pod.state.app]) {
    record.waiting = undefined;
    record.replaceWith = undefined;
    if (!record.id || record.removed || record.status?.state === 'CONTAINER_EXITED') continue;
    await ctx.cri.stopContainer(record.id, grace, { signal: ctx.signal });
    record.status = await ctx.cri.containerStatus(record.id, { signal: ctx.signal });
  }
}

/** Reads the sandbox and every container instance the pod has in the runtime. */
async function refresh(pod: CriPod, ctx: SyncContext): Promise<SandboxFound> {
  const o = { signal: ctx.signal };
  let found: SandboxFound;
  try {
    const sandbox = await ctx.cri.podSandboxStatus(pod.state.sandboxId, o);
    found = sandbox.state === 'SANDBOX_READY' ? 'ready' : 'notready';
    pod.state.podIP = sandbox.network?.ip || pod.state.podIP;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // Removed behind our back: its containers went with it; what we last knew of them stays.
    found = 'missing';
  }
  pod.state.sandboxReady = found === 'ready';
  if (found === 'missing') return found;
  for (const record of [...pod.state.init, ...pod.state.app]) {
    if (!record.id || record.removed) continue;
    try {
      record.status = await ctx.cri.containerStatus(record.id, o);
      record.imageRef = record.status.image_ref || record.imageRef;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      markGone(record, 'the container could not be located: it was removed from the runtime');
    }
  }
  return found;
}
