import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { podIdentity, type Logger } from '@vkubelet/provider-kit';

import { ignoreNotFound, type CriApi } from '../cri/client.js';
import type { Container, PodSandbox } from '../cri/types.js';
import { ANNOTATION_POD, LABEL_NODE } from '../labels.js';
import { recordFromLogs } from './log-attempts.js';
import { newContainerRecord, type ContainerRecord, type SandboxRecord } from './record.js';
import { sandboxConfig, type SandboxContext } from './sandbox-config.js';
import { terminated } from './status.js';
import { nsToDate } from './time.js';

/** Written in the pod directory when a delete begins, so that a restarted agent starts nothing of it. */
export const DELETE_MARKER = '.deleting';

export interface AdoptionContext {
  cri: CriApi;
  nodeName: string;
  podRoot: string;
  sandboxContext(pod: V1Pod, podDir: string): SandboxContext;
  hostPaths(pod: V1Pod, podDir: string): Promise<Map<string, string>>;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Rebuilds the pods an earlier process started on this node: sandboxes carry the node label and the
 * pod as created. A pod keeps one sandbox (the ready one, else the newest attempt); others of the
 * same pod, left by an interrupted replacement, are removed. Whatever state the sandbox and its
 * containers are in, the sync takes it from there.
 */
export async function adoptPods(ctx: AdoptionContext): Promise<Array<{ pod: V1Pod; state: SandboxRecord }>> {
  const o = { signal: ctx.signal };
  const byPod = new Map<string, { pod: V1Pod; sandboxes: PodSandbox[] }>();
  for (const sandbox of await ctx.cri.listPodSandbox({ [LABEL_NODE]: ctx.nodeName }, o)) {
    const json = sandbox.annotations[ANNOTATION_POD];
    if (!json) {
      ctx.logger.warn('sandbox without pod annotation left alone', { sandbox: sandbox.id });
      continue;
    }
    const pod = JSON.parse(json) as V1Pod;
    const { uid } = podIdentity(pod);
    const entry = byPod.get(uid) ?? { pod, sandboxes: [] };
    entry.sandboxes.push(sandbox);
    byPod.set(uid, entry);
  }
  const records: Array<{ pod: V1Pod; state: SandboxRecord }> = [];
  for (const [uid, { sandboxes }] of byPod) {
    const [kept, ...superseded] = sandboxes.sort(preferred);
    for (const old of superseded) {
      ctx.logger.warn('removing a superseded sandbox of the pod', { uid, sandbox: old.id, kept: kept!.id });
      await ctx.cri.stopPodSandbox(old.id, o).catch(ignoreNotFound);
      await ctx.cri.removePodSandbox(old.id, o).catch(ignoreNotFound);
    }
    // The kept sandbox's copy of the pod: the one its containers were made from.
    const pod = JSON.parse(kept!.annotations[ANNOTATION_POD]!) as V1Pod;
    const podDir = join(ctx.podRoot, uid);
    const state = await sandboxRecord(ctx, kept!, pod, podDir);
    if (existsSync(join(podDir, DELETE_MARKER))) state.deleteStarted = true;
    records.push({ pod, state });
  }
  return records;
}

/** Ready before not ready, then the newest attempt, then the newest. */
function preferred(a: PodSandbox, b: PodSandbox): number {
  const ready = Number(b.state === 'SANDBOX_READY') - Number(a.state === 'SANDBOX_READY');
  if (ready !== 0) return ready;
  if (a.metadata.attempt !== b.metadata.attempt) return b.metadata.attempt - a.metadata.attempt;
  const [createdA, createdB] = [BigInt(a.created_at), BigInt(b.created_at)];
  return createdB > createdA ? 1 : createdB < createdA ? -1 : 0;
}

/**
 * The record of a pod in an existing sandbox: containers carry their name and attempt; the newest
 * attempt per container is the current instance, the one before it the previous; older ones are
 * removed. A container with no instance continues from its log directory (recordFromLogs).
 */
export async function sandboxRecord(
  ctx: Pick<AdoptionContext, 'cri' | 'sandboxContext' | 'hostPaths' | 'signal'>,
  sandbox: PodSandbox,
  pod: V1Pod,
  podDir: string,
): Promise<SandboxRecord> {
  const o = { signal: ctx.signal };
  const logDirectory = join(podDir, 'logs');
  const containers = await ctx.cri.listContainers({ pod_sandbox_id: sandbox.id }, o);
  const byName = new Map<string, Container[]>();
  for (const c of containers) byName.set(c.metadata.name, [...(byName.get(c.metadata.name) ?? []), c]);
  const build = async (kind: 'init' | 'app', spec: V1Container): Promise<ContainerRecord> => {
    const instances = (byName.get(spec.name) ?? []).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    if (instances.length === 0) return recordFromLogs(kind, spec, logDirectory);
    const record = newContainerRecord(kind, spec);
    const [current, previous, ...older] = instances;
    for (const old of older) await ctx.cri.removeContainer(old.id, o).catch(() => undefined);
    if (previous) {
      record.id = previous.id;
      record.status = await ctx.cri.containerStatus(previous.id, o);
      record.lastTermination = terminated(record);
      record.previousId = previous.id;
    }
    record.id = current!.id;
    record.attempt = current!.metadata.attempt;
    record.status = await ctx.cri.containerStatus(current!.id, o);
    record.imageRef = current!.image_ref;
    return record;
  };
  const init: ContainerRecord[] = [];
  for (const spec of pod.spec?.initContainers ?? []) init.push(await build('init', spec));
  const app: ContainerRecord[] = [];
  for (const spec of pod.spec?.containers ?? []) app.push(await build('app', spec));
  return {
    podDir,
    sandboxConfig: sandboxConfig(pod, ctx.sandboxContext(pod, podDir), sandbox.metadata.attempt),
    sandboxId: sandbox.id,
    sandboxReady: sandbox.state === 'SANDBOX_READY',
    createdAt: nsToDate(sandbox.created_at) ?? new Date(),
    hostPaths: await ctx.hostPaths(pod, podDir),
    init,
    app,
  };
}
