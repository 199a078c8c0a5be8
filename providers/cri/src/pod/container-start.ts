import { errorMessage, isNotFound } from '@vkubelet/provider-kit';

import { isInterruptedCall, isUnreachable } from '../cri/client.js';
import { nextBackoff, shouldResetBackoff } from './backoff.js';
import { containerConfig } from './container-config.js';
import type { ContainerRecord, CriPod } from './record.js';
import { isLostByRuntime, lostStatus, terminated } from './status.js';
import type { SyncContext } from './sync.js';
import { nsToDate } from './time.js';
import { containerMounts } from './volumes.js';

/**
 * A container whose spec changed (a new image through updatePod) is stopped and started again from
 * the new spec at once, whatever the restart policy, as kubelet does; it counts as a restart.
 */
export async function replaceContainer(
  pod: CriPod,
  record: ContainerRecord,
  ctx: SyncContext,
): Promise<void> {
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

/**
 * A container that never ran (created but not started, or its start cut short), or whose task the
 * runtime lost across its restart, is removed and created again with the same attempt, at once: the
 * same log file, no restart counted. A removal the runtime refuses (containerd still unwinding a
 * cancelled start) is tried on the next pass.
 */
export async function recreateContainer(
  pod: CriPod,
  record: ContainerRecord,
  ctx: SyncContext,
): Promise<void> {
  try {
    await ctx.cri.removeContainer(record.id!, { signal: ctx.signal });
  } catch (error) {
    if (!isNotFound(error)) {
      ctx.logger.debug('container not removable yet; trying again', {
        pod: `${pod.namespace}/${pod.name}`,
        container: record.spec.name,
        error: String(error),
      });
      return;
    }
  }
  if (isLostByRuntime(record.status)) {
    ctx.logger.warn('the runtime lost the container across its restart; creating it again', {
      pod: `${pod.namespace}/${pod.name}`,
      container: record.spec.name,
      attempt: record.attempt,
    });
  }
  record.id = undefined;
  record.status = undefined;
  record.waiting = undefined;
  await startContainer(pod, record, ctx, true);
}

/**
 * A container in an unknown state is stopped before a new instance starts (kubelet: never two
 * instances at once), whatever the restart policy; it counts as a restart.
 */
export async function killAndRestart(pod: CriPod, record: ContainerRecord, ctx: SyncContext): Promise<void> {
  const o = { signal: ctx.signal };
  const grace = pod.pod.spec?.terminationGracePeriodSeconds ?? 30;
  try {
    await ctx.cri.stopContainer(record.id!, grace, o);
    record.status = await ctx.cri.containerStatus(record.id!, o);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (record.status?.state !== 'CONTAINER_EXITED') {
    record.status = lostStatus(record, 'the runtime reported the container state as unknown');
  }
  await startContainer(pod, record, ctx, true);
}

/** Creates and starts the next instance of `record`, honouring back-off and image pulls. */
export async function startContainer(
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
  if (!immediate && now < record.notBefore) {
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

  // The next instance after one that existed is a restart; the first, or one created again because
  // it never ran, keeps the attempt.
  const hadInstance = record.id !== undefined || record.status !== undefined;
  const attempt = hadInstance ? record.attempt + 1 : record.attempt;
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
  if (hadInstance) {
    if (record.previousId) await ctx.cri.removeContainer(record.previousId, o).catch(() => undefined);
    record.lastTermination = terminated(record) ?? record.lastTermination;
    record.previousId = record.id ?? record.previousId;
  }
  record.id = id;
  record.attempt = attempt;
  record.status = undefined;
  record.removed = undefined;
  record.notBefore = 0;
  try {
    await ctx.cri.startContainer(id, o);
  } catch (error) {
    record.waiting = undefined;
    if (isInterruptedCall(error)) {
      // The request went away, not the container: the runtime's report decides on the next pass
      // (created again if it never ran).
      ctx.logger.debug('container start interrupted', {
        pod: `${pod.namespace}/${pod.name}`,
        container: record.spec.name,
        error: String(error),
      });
      record.status = await ctx.cri.containerStatus(id, o).catch(() => undefined);
      return;
    }
    // A start failure (bad command, missing binary) surfaces as an exited container with a reason;
    // the next pass reads it and backs off like a crash.
    ctx.logger.warn('container start failed', {
      pod: `${pod.namespace}/${pod.name}`,
      container: record.spec.name,
      error: String(error),
    });
    record.waiting = { reason: 'RunContainerError', message: errorMessage(error) };
    return;
  }
  record.waiting = undefined;
  record.status = await ctx.cri.containerStatus(id, o);
}

/**
 * Makes sure the image is in the runtime's store per imagePullPolicy. On failure the container waits
 * with ErrImagePull, then ImagePullBackOff until the back-off allows another try. A pull that never
 * reached the runtime is no image error: it is tried again on the next pass.
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
    if (isUnreachable(error) || ctx.signal.aborted) throw error;
    // With policy Always and the image present, kubelet would fail too; offline nodes should use IfNotPresent.
    const failedBefore =
      record.waiting?.reason === 'ErrImagePull' || record.waiting?.reason === 'ImagePullBackOff';
    record.backoffMs = nextBackoff(failedBefore ? record.backoffMs : 0, ctx.backoff);
    record.notBefore = Date.now() + record.backoffMs;
    record.waiting = {
      reason: failedBefore ? 'ImagePullBackOff' : 'ErrImagePull',
      message: failedBefore
        ? `Back-off pulling image "${image}": ${errorMessage(error)}`
        : errorMessage(error),
    };
    return false;
  }
}
