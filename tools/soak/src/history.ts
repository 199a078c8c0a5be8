import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { Informer, type KubeClient } from '@vkubelet/core';

import { KIND_LABEL, type PodKind } from './workload.js';

/** One status the API server held for a pod, as seen through the watch. */
export interface PhaseChange {
  t: number;
  phase: string;
  reason?: string;
  /** `container=exitCode/reason` of terminated containers, for a terminal status. */
  terminated?: string;
}

/** Everything the soak saw of one pod (by UID) in the API server. */
export interface PodHistory {
  uid: string;
  pod: string;
  kind: PodKind | undefined;
  firstSeen: number;
  /** When the pod was last seen gone from the API server. */
  goneAt?: number;
  /** The earliest time its deletion was asked for (the soak's DELETE, or a deletionTimestamp seen). */
  deletionRequestedAt?: number;
  /** Phase changes in the order the watch showed them. */
  phases: PhaseChange[];
  /** The highest container restart count the API server showed before the pod's deletion was asked. */
  restarts: number;
  /** The pod as last seen. */
  last: V1Pod;
}

/**
 * Watches the node's pods through the API server (as an admin, not through any fault proxy) and
 * keeps each pod's status history by UID: what the status-regression invariant reads. Relists after
 * an API server restart may skip intermediate states, never invent them.
 */
export class PodHistoryRecorder {
  readonly pods = new Map<string, PodHistory>();
  private readonly informer: Informer<V1Pod>;

  constructor(client: KubeClient, nodeName: string) {
    this.informer = new Informer<V1Pod>({
      client,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${nodeName}`,
      name: 'soak-history',
      minBackoffMs: 100,
      maxBackoffMs: 1_000,
      handlers: {
        onAdd: pod => this.seen(pod),
        onUpdate: (_, pod) => this.seen(pod),
        onDelete: pod => this.gone(pod),
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.informer.start(signal);
    await this.informer.waitForSync(signal);
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** The pods the API server holds now (as of the watch). */
  current(): V1Pod[] {
    return this.informer.list();
  }

  /** The soak is about to delete this pod: from now on a provider delete is expected. */
  deletionRequested(uid: string, at: number): void {
    const history = this.pods.get(uid);
    if (history && (history.deletionRequestedAt === undefined || at < history.deletionRequestedAt)) {
      history.deletionRequestedAt = at;
    }
  }

  /** Registers a pod the soak created, before the watch may have shown it. */
  created(pod: V1Pod): void {
    this.seen(pod);
  }

  private seen(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const now = Date.now();
    let history = this.pods.get(uid);
    if (!history) {
      history = {
        uid,
        pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
        kind: pod.metadata?.labels?.[KIND_LABEL] as PodKind | undefined,
        firstSeen: now,
        phases: [],
        restarts: 0,
        last: pod,
      };
      this.pods.set(uid, history);
    }
    history.last = pod;
    if (pod.metadata?.deletionTimestamp) {
      const requested = Math.min(now, new Date(pod.metadata.deletionTimestamp).getTime());
      if (history.deletionRequestedAt === undefined || requested < history.deletionRequestedAt) {
        history.deletionRequestedAt = requested;
      }
    }
    if (history.deletionRequestedAt === undefined) {
      for (const status of pod.status?.containerStatuses ?? []) {
        history.restarts = Math.max(history.restarts, status.restartCount);
      }
    }
    const change = phaseChange(pod.status, now);
    const previous = history.phases.at(-1);
    if (
      change &&
      (previous?.phase !== change.phase ||
        previous.reason !== change.reason ||
        previous.terminated !== change.terminated)
    ) {
      history.phases.push(change);
    }
  }

  private gone(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    this.seen(pod);
    const history = this.pods.get(uid);
    if (history) history.goneAt = Date.now();
  }
}

function phaseChange(status: V1PodStatus | undefined, t: number): PhaseChange | undefined {
  const phase = status?.phase;
  if (!phase) return undefined;
  const change: PhaseChange = { t, phase };
  if (status.reason) change.reason = status.reason;
  if (phase === 'Succeeded' || phase === 'Failed') {
    change.terminated = (status.containerStatuses ?? [])
      .map(c => `${c.name}=${c.state?.terminated?.exitCode ?? '?'}/${c.state?.terminated?.reason ?? ''}`)
      .sort()
      .join(',');
  }
  return change;
}
