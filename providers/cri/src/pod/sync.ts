import type { Logger } from '@vkubelet/provider-kit';

import { grpcCode, type CriClient } from '../cri/client.js';
import { containerConfig } from './container-config.js';
import { nextBackoff, shouldResetBackoff, type BackoffPolicy } from './backoff.js';
import type { ContainerRecord, CriPod } from './record.js';
import { initFailedForGood, initSucceeded, terminated } from './status.js';
import { nsToDate } from './time.js';
import { containerMounts } from './volumes.js';

const GRPC_NOT_FOUND = 5;

export interface SyncContext {
  cri: CriClient;
  nodeName: string;
  backoff: BackoffPolicy;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * One reconcile pass over a pod: read sandbox and container state from the runtime, then start what
 * should run next (init containers one at a time, in order; then every app container) and restart
 * exited containers per restartPolicy once their back-off has passed. A pod being deleted is only
 * read. The provider runtime runs it (never twice at once for a pod) after create and update, on
 * every status interval, and on container events.
 */
export async function syncPod(pod: CriPod, ctx: SyncContext): Promise<void> {
  await refresh(pod, ctx);
  if (pod.deleting || !pod.state.sandboxReady) return;
  if (pod.state.deadlineExceeded || deadlinePassed(pod)) {
    await stopForDeadline(pod, ctx);
    return;
  }
  const policy = pod.pod.spec?.restartPolicy ?? 'Always';

  if (initFailedForGood(pod)) return;
  for (const init of pod.state.init) {
    if (initSucceeded(init)) continue;
    const state = init.status?.state;
    if (state === 'CONTAINER_RUNNING' || state === 'CONTAINER_CREATED') return;
    if (state === 'CONTAINER_EXITED' && policy === 'Never') return;
    await startContainer(pod, init, ctx);
    return;
  }
  for (const app of pod.state.app) {
    if (app.replaceWith) {
      await replaceContainer(pod, app, ctx);
      continue;
    }
    const state = app.status?.state;
    if (state === 'CONTAINER_RUNNING' || state === 'CONTAINER_CREATED') continue;
    if (state === 'CONTAINER_EXITED') {
      const exitCode = app.status!.exit_code;
      if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) continue;
    }
    await startContainer(pod, app, ctx);
  }
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
    if (!record.id || record.status?.state === 'CONTAINER_EXITED') continue;
    await ctx.cri.stopContainer(record.id, grace, { signal: ctx.signal });
    record.status = await ctx.cri.containerStatus(record.id, { signal: ctx.signal });
  }
}

async function refresh(pod: CriPod, ctx: SyncContext): Promise<void> {
  const o = { signal: ctx.signal };
  const sandbox = await ctx.cri.podSandboxStatus(pod.state.sandboxId, o);
  pod.state.sandboxReady = sandbox.state === 'SANDBOX_READY';
  pod.state.podIP = sandbox.network?.ip || pod.state.podIP;
  for (const record of [...pod.state.init, ...pod.state.app]) {
    if (!record.id) continue;
    try {
      record.status = await ctx.cri.containerStatus(record.id, o);
      record.imageRef = record.status.image_ref || record.imageRef;
    } catch (error) {
      if (grpcCode(error) !== GRPC_NOT_FOUND) throw error;
      // Removed behind our back: forget it, it will be created again.
      record.id = undefined;
      record.status = undefined;
    }
  }
}

/** Creates and starts the next instance of `record`, honouring back-off and image pulls. */
/**
 * A container whose spec changed (a new image through updatePod) is stopped and started again from
 * the new spec at once, whatever the restart policy, as kubelet does; it counts as a restart.
 */
async function replaceContainer(pod: CriPod, record: ContainerRecord, ctx: SyncContext): Promise<void> {
  const o = { signal: ctx.signal };
  if (record.id && record.status?.state !== 'CONTAINER_EXITED') {
    const grace = pod.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await ctx.cri.stopContainer(record.id, grace, o);
    record.status = await ctx.cri.containerStatus(record.id, o);
  }
  record.spec = record.replaceWith!;
  record.replaceWith = undefined;
  record.backoffMs = 0;
  record.notBefore = 0;
  record.waiting = undefined;
  await startContainer(pod, record, ctx, true);
}

async function startContainer(
  pod: CriPod,
  record: ContainerRecord,
  ctx: SyncContext,
  immediate = false,
): Promise<void> {
  const now = Date.now();
  const exited = record.status?.state === 'CONTAINER_EXITED';
  if (exited && record.notBefore === 0 && !immediate) {
    // First look at this exit: schedule the restart after the back-off.
    const started = nsToDate(record.status!.started_at)?.getTime() ?? now;
    const finished = nsToDate(record.status!.finished_at)?.getTime() ?? now;
    if (shouldResetBackoff(finished - started, ctx.backoff)) record.backoffMs = 0;
    record.backoffMs = nextBackoff(record.backoffMs, ctx.backoff);
    record.notBefore = finished + record.backoffMs;
  }
  if (now < record.notBefore) {
    if (record.waiting?.reason === 'ErrImagePull') {
      record.waiting = {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${record.spec.image}"`,
      };
    } else if (exited) {
      record.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(record.backoffMs / 1000)}s restarting failed container=${record.spec.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
      };
    }
    return;
  }

  const image = record.spec.image;
  if (!image) {
    record.waiting = { reason: 'InvalidImageName', message: 'container has no image' };
    return;
  }
  if (!(await ensureImage(pod, record, image, ctx))) return;

  const attempt = record.id ? record.attempt + 1 : record.attempt;
  const config = containerConfig(
    record.spec,
    record.kind,
    { namespace: pod.namespace, name: pod.name, uid: pod.uid, nodeName: ctx.nodeName },
    attempt,
    containerMounts(record.spec, pod.state.hostPaths),
    image,
  );
  const o = { signal: ctx.signal };
  const id = await ctx.cri.createContainer(pod.state.sandboxId, config, pod.state.sandboxConfig, o);
  // Keep one previous instance for `logs --previous`; older ones go.
  if (record.id) {
    if (record.previousId) await ctx.cri.removeContainer(record.previousId, o).catch(() => undefined);
    record.lastTermination = terminated(record);
    record.previousId = record.id;
  }
  record.id = id;
  record.attempt = attempt;
  record.status = undefined;
  record.notBefore = 0;
  try {
    await ctx.cri.startContainer(id, o);
  } catch (error) {
    // A start failure (bad command, missing binary) surfaces as an exited container with a reason;
    // the next pass reads it and backs off like a crash.
    ctx.logger.warn('container start failed', {
      pod: `${pod.namespace}/${pod.name}`,
      container: record.spec.name,
      error: String(error),
    });
    record.waiting = { reason: 'RunContainerError', message: (error as Error).message };
    return;
  }
  record.waiting = undefined;
  record.status = await ctx.cri.containerStatus(id, o);
}

/**
 * Makes sure the image is in the runtime's store per imagePullPolicy. On failure the container waits
 * with ErrImagePull, then ImagePullBackOff until the back-off allows another try.
 */
async function ensureImage(
  pod: CriPod,
  record: ContainerRecord,
  image: string,
  ctx: SyncContext,
): Promise<boolean> {
  const o = { signal: ctx.signal };
  const policy =
    record.spec.imagePullPolicy ??
    (/:latest$|^[^:]+$/.test(image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent');
  const present = await ctx.cri.imagePresent(image, o);
  if (present && policy !== 'Always') return true;
  if (policy === 'Never') {
    record.waiting = {
      reason: 'ErrImageNeverPull',
      message: `image "${image}" is not present with pull policy of Never`,
    };
    return false;
  }
  try {
    record.imageRef = await ctx.cri.pullImage(image, pod.state.sandboxConfig, o);
    return true;
  } catch (error) {
    // With policy Always and the image present, kubelet would fail too; offline nodes should use IfNotPresent.
    const failedBefore =
      record.waiting?.reason === 'ErrImagePull' || record.waiting?.reason === 'ImagePullBackOff';
    record.backoffMs = nextBackoff(failedBefore ? record.backoffMs : 0, ctx.backoff);
    record.notBefore = Date.now() + record.backoffMs;
    record.waiting = {
      reason: failedBefore ? 'ImagePullBackOff' : 'ErrImagePull',
      message: failedBefore
        ? `Back-off pulling image "${image}": ${(error as Error).message}`
        : (error as Error).message,
    };
    return false;
  }
}
