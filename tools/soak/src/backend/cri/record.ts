import type { CriPodInventory } from '@vkubelet/provider-cri';

import type { BackendEvent, BackendPod } from '../types.js';

/**
 * The soak's record of a CRI runtime, built from successive listings of its sandboxes and containers
 * by pod UID: a UID's first sandbox or container is its creation; a second ready sandbox, or a second
 * running instance of one container, while the first is still there is a second copy (a `created`
 * event again, which the double-created invariant counts); a UID whose last sandbox and container
 * are gone was deleted, unless it comes back with a sandbox or container it had (the listing was partial:
a containerd just restarted answers before it has recovered every sandbox), or its only copy never ran
(a sandbox left not ready by a RunPodSandbox cut short, cleaned up and made again). What the last listing held
is the inventory.
 */
export class RuntimeRecord {
  private readonly log: BackendEvent[] = [];
  private readonly present = new Set<string>();
  private readonly duplicated = new Set<string>();
  /** Every sandbox and container ID seen, by pod UID: IDs are never reused, so one seen again is no new copy. */
  private readonly ids = new Map<string, Set<string>>();
  /** Pods whose only copy never ran and went away: made again, they are no second copy. */
  private readonly halfMade = new Set<string>();
  /** Pods seen with a ready sandbox or a running container at least once. */
  private readonly ran = new Set<string>();
  /** Pods left out of one listing and back in a later one with the same sandbox or container. */
  partialListings = 0;
  private last: CriPodInventory[] = [];

  observe(runtime: ReadonlyMap<string, CriPodInventory>, t: number): void {
    const now = [...runtime.values()].filter(pod => pod.sandboxes.length + pod.containers.length > 0);
    for (const pod of now) {
      const name = `${pod.namespace}/${pod.name}`;
      const ids = this.ids.get(pod.uid) ?? new Set<string>();
      this.ids.set(pod.uid, ids);
      const current = [...pod.sandboxes.map(s => s.id), ...pod.containers.map(c => c.id)];
      if (!this.present.has(pod.uid)) {
        this.present.add(pod.uid);
        const deleted = this.log.findLastIndex(e => e.uid === pod.uid && e.op === 'deleted');
        if (deleted >= 0 && current.some(id => ids.has(id))) {
          // Back with a sandbox or container it had before: never gone, only left out of a listing
          // (a containerd just restarted lists what it has recovered so far).
          this.log.splice(deleted, 1);
          this.partialListings += 1;
        } else if (!this.halfMade.delete(pod.uid)) {
          this.log.push({ t, op: 'created', pod: name, uid: pod.uid });
        }
      }
      for (const id of current) ids.add(id);
      if (live(pod)) this.ran.add(pod.uid);
      if (!this.duplicated.has(pod.uid) && duplicate(pod)) {
        this.duplicated.add(pod.uid);
        this.log.push({ t, op: 'created', pod: name, uid: pod.uid });
      }
    }
    const seen = new Set(now.map(pod => pod.uid));
    for (const uid of this.present) {
      if (seen.has(uid)) continue;
      this.present.delete(uid);
      const pod = this.last.find(p => p.uid === uid);
      // Only a copy that ran is deleted; a half-made sandbox (RunPodSandbox cut short) cleaned up is not.
      if (!this.ran.has(uid)) {
        this.halfMade.add(uid);
        continue;
      }
      this.log.push({ t, op: 'deleted', pod: pod ? `${pod.namespace}/${pod.name}` : '?', uid });
    }
    this.last = now;
  }

  events(): BackendEvent[] {
    return [...this.log];
  }

  inventory(): BackendPod[] {
    return this.last.map(pod => ({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, phase: phaseOf(pod) }));
  }
}

/** A ready sandbox or a running container: a copy of the pod that ran. */
function live(pod: CriPodInventory): boolean {
  return (
    pod.sandboxes.some(s => s.state === 'SANDBOX_READY') ||
    pod.containers.some(c => c.state === 'CONTAINER_RUNNING')
  );
}

/** Two ready sandboxes, or two running instances of one container, for one pod. */
export function duplicate(pod: CriPodInventory): boolean {
  if (pod.sandboxes.filter(s => s.state === 'SANDBOX_READY').length > 1) return true;
  const running = pod.containers.filter(c => c.state === 'CONTAINER_RUNNING').map(c => c.name);
  return new Set(running).size < running.length;
}

/**
 * Running when a sandbox is ready and the newest instance of each of its containers runs; Exited when
 * they all ended; NotReady without a ready sandbox; Pending otherwise (created, not started).
 */
export function phaseOf(pod: CriPodInventory): string {
  const ready = new Set(pod.sandboxes.filter(s => s.state === 'SANDBOX_READY').map(s => s.id));
  if (ready.size === 0) return 'NotReady';
  const newest = new Map<string, CriPodInventory['containers'][number]>();
  for (const container of pod.containers) {
    if (!ready.has(container.sandboxId)) continue;
    const known = newest.get(container.name);
    if (!known || container.attempt > known.attempt) newest.set(container.name, container);
  }
  const states = [...newest.values()].map(c => c.state);
  if (states.length === 0) return 'Pending';
  if (states.every(state => state === 'CONTAINER_RUNNING')) return 'Running';
  if (states.every(state => state === 'CONTAINER_EXITED')) return 'Exited';
  return 'Pending';
}
