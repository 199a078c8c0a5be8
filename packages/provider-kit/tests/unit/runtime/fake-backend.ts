import type { V1Pod } from '@kubernetes/client-node';

import type { CallOptions, PodBackend, PodObservation, TrackedPod } from '../../../src/index.js';

/** A backend object as the fake keeps it. */
export interface Box {
  id: string;
  phase: 'Pending' | 'Running' | 'Stopping' | 'Stopped';
  exitCode?: number;
}

const START = new Date('2026-01-01T00:00:00Z');

/** A scriptable in-memory backend: every request is counted, answers can be held or changed. */
export class FakeBackend implements PodBackend<Box> {
  readonly boxes = new Map<string, Box>();
  readonly calls: Array<{ op: string; uids: string[] }> = [];
  /** Held requests resolve when the test says so. */
  hold: Partial<Record<'create' | 'refresh' | 'delete', Promise<void>>> = {};
  deleteLeaves: 'Stopping' | 'Stopped' | 'gone' = 'Stopped';
  signals: AbortSignal[] = [];

  /** Waits for a held request to be let go, or for the caller to abort (a backend must honour it). */
  private async held(hold: Promise<void> | undefined, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (!hold) return;
    await new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      void hold.then(resolve);
    });
  }

  private record(op: string, uids: string[], options: CallOptions): void {
    this.calls.push({ op, uids });
    this.signals.push(options.signal);
  }

  count(op: string): number {
    return this.calls.filter(call => call.op === op).length;
  }

  async create(pod: V1Pod, options: CallOptions): Promise<Box> {
    const uid = pod.metadata!.uid!;
    this.record('create', [uid], options);
    const box: Box = { id: `box-${uid}`, phase: 'Pending' };
    this.boxes.set(uid, box);
    await this.held(this.hold.create, options.signal);
    return { ...box };
  }

  async find(pod: V1Pod, options: CallOptions): Promise<Box | undefined> {
    this.record('find', [pod.metadata!.uid!], options);
    const box = this.boxes.get(pod.metadata!.uid!);
    return box && { ...box };
  }

  async delete(record: TrackedPod<Box>, options: CallOptions): Promise<Box | null> {
    this.record('delete', [record.uid], options);
    await this.held(this.hold.delete, options.signal);
    const box = this.boxes.get(record.uid);
    if (!box || this.deleteLeaves === 'gone') {
      this.boxes.delete(record.uid);
      return null;
    }
    box.phase = this.deleteLeaves;
    box.exitCode = 143;
    return { ...box };
  }

  async refresh(records: readonly TrackedPod<Box>[], options: CallOptions): Promise<Map<string, Box | null>> {
    this.record(
      'refresh',
      records.map(r => r.uid),
      options,
    );
    await this.held(this.hold.refresh, options.signal);
    return new Map(
      records.map(record => {
        const box = this.boxes.get(record.uid);
        return [record.uid, box ? { ...box } : null];
      }),
    );
  }

  async list(options: CallOptions): Promise<Array<{ pod: V1Pod; state: Box }>> {
    this.record('list', [], options);
    return [...this.boxes].map(([uid, box]) => ({
      pod: { metadata: { namespace: 'adopted', name: box.id, uid }, spec: { containers: [{ name: 'app' }] } },
      state: { ...box },
    }));
  }

  observe(record: TrackedPod<Box>): PodObservation {
    const { phase, exitCode } = record.state;
    const state =
      phase === 'Running' || phase === 'Stopping'
        ? { running: { startedAt: START } }
        : phase === 'Stopped'
          ? { terminated: { exitCode: exitCode ?? 0, startedAt: START, finishedAt: START } }
          : undefined;
    return {
      containers: (record.pod.spec?.containers ?? []).map(c => ({
        name: c.name,
        ...(state ? { state } : {}),
      })),
      startTime: START,
      stopped: phase === 'Stopped',
    };
  }
}

let counter = 0;
export function pod(name: string, extra: Partial<V1Pod> = {}): V1Pod {
  counter++;
  return {
    metadata: { namespace: 'ns', name, uid: `uid-${name}-${counter}` },
    spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'img' }] },
    ...extra,
  };
}

export const call = (): CallOptions => ({ signal: AbortSignal.timeout(10_000) });

/** A promise and its resolver, to hold a backend request. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>(resolve => (open = resolve));
  return { promise, open };
}
