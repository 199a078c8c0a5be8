import type { V1Pod } from '@kubernetes/client-node';

import type { BackendEvent, BackendPod } from './backend/types.js';
import { KIND_LABEL } from './workload.js';

/** A pod (by UID, or a backend-only UID) not yet where it should be, and why. */
export interface Unconverged {
  uid: string;
  pod: string;
  why: string;
}

/**
 * Where every pod should be once the faults are over: deleted pods gone from the API server and the
 * backend; jobs Succeeded; pods lost out of band Failed (they cannot run, and must not be created a
 * second time; `lost` leaves out those the backend has had again since: a pod lost before it was
 * seen started, see the double-created invariant); every other pod Running, both in the API server
 * and in the backend.
 */
export function unconverged(
  apiPods: readonly V1Pod[],
  inventory: readonly BackendPod[],
  lost: ReadonlySet<string>,
): Unconverged[] {
  const found: Unconverged[] = [];
  const running = new Map(inventory.map(pod => [pod.uid, pod]));
  const inApi = new Set<string>();
  for (const pod of apiPods) {
    const uid = pod.metadata?.uid ?? '';
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    inApi.add(uid);
    const phase = pod.status?.phase;
    const kind = pod.metadata?.labels?.[KIND_LABEL];
    const problem = (why: string) => found.push({ uid, pod: key, why });
    if (pod.metadata?.deletionTimestamp) {
      problem(`still terminating (${phase ?? 'no phase'})`);
    } else if (lost.has(uid)) {
      if (phase !== 'Failed') problem(`lost in the backend but ${phase ?? 'no phase'} in the API server`);
    } else if (kind === 'job') {
      if (phase !== 'Succeeded') problem(`a job ${phase ?? 'without a phase'} (${pod.status?.reason ?? ''})`);
    } else if (phase !== 'Running') {
      problem(`${phase ?? 'no phase'} (${pod.status?.reason ?? ''}) in the API server`);
    } else if (running.get(uid)?.phase !== 'Running') {
      problem(`Running in the API server, ${running.get(uid)?.phase ?? 'absent'} in the backend`);
    }
  }
  for (const pod of inventory) {
    if (!inApi.has(pod.uid))
      found.push({ uid: pod.uid, pod: pod.pod, why: 'in the backend, gone from the API server' });
  }
  return found;
}

/** UIDs the backend lost and has not had again since (a pod lost before it started is created again). */
export function lostForGood(events: readonly BackendEvent[]): Set<string> {
  const lost = new Set<string>();
  for (const event of events) {
    if (event.op === 'lost') lost.add(event.uid);
    else if (event.op === 'created') lost.delete(event.uid);
  }
  return lost;
}
