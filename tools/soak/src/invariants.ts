import type { BackendEvent, BackendPod } from './backend/types.js';
import { lostForGood } from './converge.js';
import type { PhaseChange, PodHistory } from './history.js';
import type { WireWrite } from './proxy/fault-proxy.js';

/** The invariants of issue 20, each counted; any count above zero fails the soak. */
export interface InvariantCounts {
  /** A pod UID created in the backend more than once. */
  doubleCreated: number;
  /** Backend pods at the end whose API pod (same UID) is gone. */
  orphans: number;
  /** Provider deletes of a pod the API server still held without a deletion request. */
  unrequestedDeletes: number;
  /** Status written backwards: Running to Pending, or a terminal status changed afterwards. */
  statusRegressions: number;
  /** Pods not in their expected state (Running, Succeeded, gone) within the bound after the last fault. */
  notConverged: number;
  /**
   * Containers restarted, or pods Failed, before anyone asked to delete them: the soak's workloads never
   * fail, so every one is the agent's doing (a pod the backend lost out of band excepted).
   */
  spuriousFailures: number;
  /** API writes by an agent that did not hold the leader lease (only with leader election). */
  twoWriters: number;
}

export type Violations = { [K in keyof InvariantCounts]: string[] };

export interface InvariantInput {
  histories: Iterable<PodHistory>;
  backendEvents: readonly BackendEvent[];
  inventory: readonly BackendPod[];
  /** UIDs the API server holds at the end, with their phase and whether deletion was asked. */
  apiPods: readonly ApiPod[];
  /** Pods (by UID) still not converged when the bound ran out. */
  unconverged: readonly string[];
  /** Writes each agent's proxy forwarded, with leader election. */
  wireWrites?: readonly WireWrite[];
  /** The leader Lease's path, to tell its writes apart. */
  leaderLeasePath?: string;
}

export interface ApiPod {
  uid: string;
  pod: string;
  phase: string | undefined;
  deleting: boolean;
}

const REVIEWS = /^\/apis\/(authentication|authorization)\.k8s\.io\//;
const RANK: Record<string, number> = { Pending: 0, Running: 1, Succeeded: 2, Failed: 2 };

/** Checks every invariant; each violation is described in a line, for the report. */
export function checkInvariants(input: InvariantInput): Violations {
  const histories = new Map<string, PodHistory>();
  for (const history of input.histories) histories.set(history.uid, history);
  return {
    doubleCreated: doubleCreations(input.backendEvents, histories),
    orphans: orphans(input.inventory, input.apiPods),
    unrequestedDeletes: unrequestedDeletes(input.backendEvents, histories),
    statusRegressions: [...histories.values()].flatMap(history => regressions(history)),
    notConverged: input.unconverged.map(uid => `${histories.get(uid)?.pod ?? '?'} (${uid}) not converged`),
    spuriousFailures: spuriousFailures(histories.values(), lostForGood(input.backendEvents)),
    twoWriters: input.wireWrites ? twoWriters(input.wireWrites, input.leaderLeasePath ?? '') : [],
  };
}

export function countViolations(violations: Violations): InvariantCounts {
  return Object.fromEntries(
    Object.entries(violations).map(([key, list]) => [key, list.length]),
  ) as unknown as InvariantCounts;
}

/**
 * A UID created in the backend a second time while its API pod lived (before anyone asked to delete
 * it). A create the backend applies after the pod's deletion (a call that hung past the agent's
 * timeout) is no second copy of a living pod; what it leaves behind is counted as an orphan. Nor is
 * the create of a pod the backend lost before the API server ever showed it started: no agent can
 * tell it from a pod never created (the kubelet creates such a sandbox again too), and there never
 * are two copies. Created again after the API server showed it started is upstream #762.
 */
function doubleCreations(events: readonly BackendEvent[], histories: Map<string, PodHistory>): string[] {
  const created = new Map<string, BackendEvent[]>();
  const lostSince = new Set<string>();
  for (const event of events) {
    const history = histories.get(event.uid);
    if (event.op === 'lost') lostSince.add(event.uid);
    if (event.op !== 'created') continue;
    const end = history?.deletionRequestedAt ?? history?.goneAt ?? Infinity;
    if (event.t >= end) continue;
    const earlier = created.get(event.uid) ?? [];
    if (earlier.length > 0 && lostSince.has(event.uid) && !startedBy(history, event.t)) {
      lostSince.delete(event.uid);
      continue;
    }
    lostSince.delete(event.uid);
    created.set(event.uid, [...earlier, event]);
  }
  return [...created.values()]
    .filter(list => list.length > 1)
    .map(
      list =>
        `${list[0]!.pod} (${list[0]!.uid}) created ${list.length} times: ${list.map(e => `${iso(e.t)} by ${e.agent ?? '?'}`).join(', ')}`,
    );
}

/** Whether the API server had shown the pod started (Running, or ended) by time `t`. */
export function startedBy(history: Pick<PodHistory, 'phases'> | undefined, t: number): boolean {
  return history?.phases.some(change => change.t <= t && (RANK[change.phase] ?? 0) >= 1) ?? false;
}

/**
 * A container restart, or a Failed phase, shown before the pod's deletion was asked for, of a pod the
 * backend did not lose: the soak's containers neither crash nor exit non-zero.
 */
export function spuriousFailures(
  histories: Iterable<Pick<PodHistory, 'pod' | 'uid' | 'phases' | 'restarts' | 'deletionRequestedAt'>>,
  lost: ReadonlySet<string>,
): string[] {
  const found: string[] = [];
  for (const history of histories) {
    if (lost.has(history.uid)) continue;
    if (history.restarts > 0) {
      found.push(`${history.pod} (${history.uid}): containers restarted ${history.restarts} times`);
    }
    const deleting = history.deletionRequestedAt ?? Infinity;
    const failed = history.phases.find(change => change.phase === 'Failed' && change.t < deleting);
    if (failed) found.push(`${history.pod} (${history.uid}): ${describe(failed)} at ${iso(failed.t)}`);
  }
  return found;
}

function orphans(inventory: readonly BackendPod[], apiPods: readonly ApiPod[]): string[] {
  const live = new Set(apiPods.map(pod => pod.uid));
  return inventory
    .filter(pod => !live.has(pod.uid))
    .map(pod => `${pod.pod} (${pod.uid}) left in the backend`);
}

/**
 * A provider delete (not a loss) of a UID before anyone asked the API server to delete it. A pod
 * whose API object is gone without a request seen (deleted by someone else) counts as requested
 * when it went.
 */
function unrequestedDeletes(events: readonly BackendEvent[], histories: Map<string, PodHistory>): string[] {
  const found: string[] = [];
  for (const event of events) {
    if (event.op !== 'deleted') continue;
    const history = histories.get(event.uid);
    if (!history) continue; // never in the API server as far as the soak saw: nothing to protect
    const requested = history.deletionRequestedAt ?? history.goneAt;
    if (requested === undefined || event.t < requested) {
      found.push(
        `${event.pod} (${event.uid}) deleted in the provider at ${iso(event.t)} by ${event.agent ?? '?'}; ` +
          `deletion asked ${requested === undefined ? 'never' : `at ${iso(requested)}`}`,
      );
    }
  }
  return found;
}

/** Running back to Pending, or any change of a terminal status (phase, reason, exit codes). */
export function regressions(history: Pick<PodHistory, 'pod' | 'uid' | 'phases'>): string[] {
  const found: string[] = [];
  let highest: PhaseChange | undefined;
  for (const change of history.phases) {
    if (highest) {
      const terminal = RANK[highest.phase] === 2;
      const backwards = (RANK[change.phase] ?? 0) < (RANK[highest.phase] ?? 0);
      const overwritten =
        terminal &&
        (change.phase !== highest.phase ||
          change.reason !== highest.reason ||
          change.terminated !== highest.terminated);
      if (backwards || overwritten) {
        found.push(
          `${history.pod} (${history.uid}): ${describe(highest)} then ${describe(change)} at ${iso(change.t)}`,
        );
        continue;
      }
    }
    if (!highest || (RANK[change.phase] ?? 0) >= (RANK[highest.phase] ?? 0)) highest = change;
  }
  return found;
}

/**
 * No two writers: a write forwarded to the API server counts against its agent unless that agent was
 * the last to write the leader Lease successfully (as holder) before the write was sent. So a write
 * by a standby, or by a former holder after another agent took the lease over, is a violation;
 * Lease writes themselves are the election and are not counted, nor writes a partition dropped.
 */
export function twoWriters(writes: readonly WireWrite[], leasePath: string): string[] {
  const ordered = [...writes].sort((a, b) => a.sent - b.sent);
  const found: string[] = [];
  let leader: string | undefined;
  for (const write of ordered) {
    const isLease = write.path === leasePath || write.path === leasePath.replace(/\/[^/]+$/, '');
    if (isLease) {
      if (write.code >= 200 && write.code < 300 && write.holder) leader = write.agent;
      continue;
    }
    if (write.dropped) continue; // never left the proxy
    if (REVIEWS.test(write.path)) continue; // TokenReview, SubjectAccessReview: questions, not state
    if (write.agent !== leader) {
      found.push(
        `${write.agent} wrote ${write.method} ${write.path} at ${iso(write.sent)} while ${leader ?? 'nobody'} held the lease`,
      );
    }
  }
  return found;
}

function describe(change: PhaseChange): string {
  return [change.phase, change.reason, change.terminated].filter(Boolean).join(' ');
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(11, 23);
}
