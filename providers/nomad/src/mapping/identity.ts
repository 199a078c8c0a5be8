import { createHash } from 'node:crypto';

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { PodIdentity } from '@vkubelet/provider-kit';

/**
 * Job Meta keys: the only record of which pod a job runs, so that a restarted agent adopts its jobs
 * instead of registering new ones. Underscores, so that they also read well as the tasks'
 * `NOMAD_META_*` variables.
 */
export const META = {
  uid: 'vkubelet_pod_uid',
  namespace: 'vkubelet_pod_namespace',
  name: 'vkubelet_pod_name',
  node: 'vkubelet_node',
  /** The pod's containers, init containers and restart policy (JSON): an adopted pod's spec. */
  pod: 'vkubelet_pod',
} as const;

/** The longest job ID this provider makes (Nomad has no hard limit, but IDs end up in names and UIs). */
export const MAX_JOB_ID = 128;
const HASH_LENGTH = 12;

/**
 * The job ID of a pod: `<prefix>.<namespace>.<name>`. Namespaces have no dots, so no two pods share
 * an ID; one longer than MAX_JOB_ID is cut and ends in a hash of the full name instead.
 */
export function jobId(prefix: string, namespace: string, name: string): string {
  const id = `${prefix}.${namespace}.${name}`;
  if (id.length <= MAX_JOB_ID) return id;
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, HASH_LENGTH);
  return `${id.slice(0, MAX_JOB_ID - HASH_LENGTH - 1)}-${hash}`;
}

/** What the job keeps of the pod's spec, enough for core to match an adopted pod and list its containers. */
interface PodSummary {
  restartPolicy?: string;
  containers: Array<{ name: string; image: string }>;
  initContainers?: Array<{ name: string; image: string; sidecar?: boolean }>;
}

export function jobMeta(identity: PodIdentity, nodeName: string, pod: V1Pod): Record<string, string> {
  const brief = (c: V1Container) => ({ name: c.name, image: c.image ?? '' });
  const summary: PodSummary = {
    ...(pod.spec?.restartPolicy ? { restartPolicy: pod.spec.restartPolicy } : {}),
    containers: (pod.spec?.containers ?? []).map(brief),
    ...(pod.spec?.initContainers?.length
      ? {
          initContainers: pod.spec.initContainers.map(c => ({
            ...brief(c),
            ...(c.restartPolicy === 'Always' ? { sidecar: true } : {}),
          })),
        }
      : {}),
  };
  return {
    [META.uid]: identity.uid,
    [META.namespace]: identity.namespace,
    [META.name]: identity.name,
    [META.node]: nodeName,
    [META.pod]: JSON.stringify(summary),
  };
}

/** The pod identity in a job's Meta, if a vkubelet node registered it. */
export function identityFromMeta(meta: Record<string, string> | null | undefined): PodIdentity | undefined {
  const namespace = meta?.[META.namespace];
  const name = meta?.[META.name];
  const uid = meta?.[META.uid];
  return namespace && name && uid ? { namespace, name, uid } : undefined;
}

/** The pod a job was registered for, rebuilt from its Meta (adoption after a restart). */
export function podFromMeta(identity: PodIdentity, meta: Record<string, string>, nodeName: string): V1Pod {
  let summary: PodSummary = { containers: [] };
  try {
    summary = JSON.parse(meta[META.pod] ?? '') as PodSummary;
  } catch {
    // A job whose summary was edited by hand still identifies its pod; its spec comes from the API.
  }
  const initContainers = (summary.initContainers ?? []).map(c => ({
    name: c.name,
    image: c.image,
    ...(c.sidecar ? { restartPolicy: 'Always' } : {}),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: identity.namespace, name: identity.name, uid: identity.uid },
    spec: {
      nodeName,
      ...(summary.restartPolicy ? { restartPolicy: summary.restartPolicy } : {}),
      containers: (summary.containers ?? []).map(c => ({ name: c.name, image: c.image })),
      ...(initContainers.length > 0 ? { initContainers } : {}),
    },
  };
}
