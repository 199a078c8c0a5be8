import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  backendCaller,
  isNotFound,
  isTransient,
  NotFoundError,
  ProviderRuntime,
  type TrackedPod,
} from '../../../src/index.js';
import { call, FakeBackend, gate, pod, type Box } from './fake-backend.js';

const runtimes: ProviderRuntime<Box>[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(runtimes.splice(0).map(r => r.close()));
});

function runtime(backend = new FakeBackend(), refresh?: { intervalMs: number; batchSize?: number }) {
  const r = new ProviderRuntime<Box>({ backend, hostIP: '192.0.2.1', ...(refresh ? { refresh } : {}) });
  runtimes.push(r);
  const reported: V1Pod[] = [];
  r.notifyPods(p => reported.push(p));
  return { r, backend, reported };
}

const phases = (reported: V1Pod[], uid: string) =>
  reported.filter(p => p.metadata?.uid === uid).map(p => p.status?.phase);

describe('ProviderRuntime: create', () => {
  it('creates once per UID, also under concurrent calls, and reports the status built by the kubelet rules', async () => {
    const { r, backend, reported } = runtime();
    const p = pod('web');
    const held = gate();
    backend.hold.create = held.promise;
    const calls = [r.createPod(p, call()), r.createPod(structuredClone(p), call())];
    held.open();
    await Promise.all(calls);
    await r.createPod(p, call());
    expect(backend.count('create')).toBe(1);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.status).toMatchObject({
      phase: 'Pending',
      hostIP: '192.0.2.1',
      qosClass: 'BestEffort',
      containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    expect((await r.getPod('ns', 'web', call())).spec?.containers[0]?.image).toBe('img');
  });

  it('finds a pod whose create answer was lost instead of creating it again', async () => {
    const { r, backend } = runtime();
    const p = pod('lost');
    const held = gate();
    backend.hold.create = held.promise;
    const controller = new AbortController();
    const first = r.createPod(p, { signal: controller.signal });
    controller.abort(new Error('timed out'));
    held.open();
    await expect(first).rejects.toThrow('timed out');
    await r.createPod(p, call());
    expect(backend.count('create')).toBe(1);
    expect(backend.count('find')).toBe(2);
    expect(r.pods.get(p.metadata!.uid!)?.state.id).toBe(`box-${p.metadata!.uid}`);
  });

  it('refuses a second pod of the same name while the first runs, and takes it once the first is deleted', async () => {
    const { r, backend } = runtime();
    backend.deleteLeaves = 'Stopping';
    const first = pod('same');
    await r.createPod(first, call());
    const second = { ...pod('same'), metadata: { ...first.metadata, uid: 'uid-second' } };
    await expect(r.createPod(second, call())).rejects.toSatisfy(isTransient);
    await r.deletePod(first, call());
    await r.createPod(second, call());
    expect((await r.getPod('ns', 'same', call())).metadata?.uid).toBe('uid-second');
    expect(r.pods.get(first.metadata!.uid!)?.deleting).toBe(true);
  });

  it('refuses a pod without identity or containers as invalid input', async () => {
    const { r } = runtime();
    await expect(r.createPod({ metadata: { name: 'x' } }, call())).rejects.toThrow(/namespace/);
    await expect(r.createPod({ ...pod('empty'), spec: { containers: [] } }, call())).rejects.toThrow(
      /no containers/,
    );
  });
});

describe('ProviderRuntime: status', () => {
  it('refreshes in batches with one backend request each, and reports only real changes', async () => {
    vi.useFakeTimers();
    const { r, backend, reported } = runtime(undefined, { intervalMs: 1000, batchSize: 100 });
    await r.start();
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`));
    for (const p of pods) await r.createPod(p, call());
    const before = reported.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.calls.filter(c => c.op === 'refresh').map(c => c.uids.length)).toEqual([100, 100, 50]);
    expect(reported.length).toBe(before);
    backend.boxes.get(pods[7]!.metadata!.uid!)!.phase = 'Running';
    await vi.advanceTimersByTimeAsync(1000);
    expect(reported.length).toBe(before + 1);
    expect(reported.at(-1)?.status).toMatchObject({ phase: 'Running' });
    expect(reported.at(-1)?.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe('True');
    await vi.advanceTimersByTimeAsync(1000);
    expect(reported.length).toBe(before + 1);
  });

  it('builds no status for a pod whose refreshed state is unchanged', async () => {
    vi.useFakeTimers();
    const { r, backend, reported } = runtime(undefined, { intervalMs: 1000 });
    await r.start();
    const [a, b] = [pod('same'), pod('changing')];
    await r.createPod(a, call());
    await r.createPod(b, call());
    const observed = vi.spyOn(backend, 'observe');
    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.count('refresh')).toBe(1);
    expect(observed).not.toHaveBeenCalled();
    backend.boxes.get(b.metadata!.uid!)!.phase = 'Running';
    await vi.advanceTimersByTimeAsync(1000);
    expect(observed.mock.calls.map(([record]) => record.uid)).toEqual([b.metadata!.uid]);
    expect(phases(reported, b.metadata!.uid!).at(-1)).toBe('Running');
    expect(phases(reported, a.metadata!.uid!).at(-1)).toBe('Pending');
  });

  it('drops a refresh answer that started before a delete', async () => {
    vi.useFakeTimers();
    const { r, backend, reported } = runtime(undefined, { intervalMs: 1000 });
    await r.start();
    backend.deleteLeaves = 'Stopping';
    const p = pod('racy');
    await r.createPod(p, call());
    backend.boxes.get(p.metadata!.uid!)!.phase = 'Running';
    const held = gate();
    backend.hold.refresh = held.promise;
    await vi.advanceTimersByTimeAsync(1000);
    // The refresh has read "Running"; a delete now leaves the box stopping with exit code 143.
    await r.deletePod(p, call());
    backend.boxes.get(p.metadata!.uid!)!.phase = 'Stopping';
    held.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.pods.get(p.metadata!.uid!)?.state.phase).toBe('Stopping');
    backend.hold.refresh = undefined;
    backend.boxes.get(p.metadata!.uid!)!.phase = 'Stopped';
    await vi.advanceTimersByTimeAsync(1000);
    expect(phases(reported, p.metadata!.uid!).at(-1)).toBe('Failed');
    expect(r.pods.get(p.metadata!.uid!)).toBeUndefined();
  });

  it('reports a pod that vanished from the backend as Failed with NotFound, and deletes it without asking the backend', async () => {
    vi.useFakeTimers();
    const { r, backend, reported } = runtime(undefined, { intervalMs: 1000 });
    await r.start();
    const p = pod('vanished');
    await r.createPod(p, call());
    backend.boxes.get(p.metadata!.uid!)!.phase = 'Running';
    await vi.advanceTimersByTimeAsync(1000);
    backend.boxes.delete(p.metadata!.uid!);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reported.at(-1)?.status).toMatchObject({
      phase: 'Failed',
      reason: 'NotFound',
      containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }],
    });
    await r.deletePod(p, call());
    expect(backend.count('delete')).toBe(0);
    await expect(r.getPod('ns', 'vanished', call())).rejects.toSatisfy(isNotFound);
  });

  it('gives a new listener every current status once', async () => {
    const { r } = runtime();
    await r.createPod(pod('a'), call());
    await r.createPod(pod('b'), call());
    const late: string[] = [];
    r.notifyPods(p => late.push(p.metadata!.name!));
    expect(late.sort()).toEqual(['a', 'b']);
  });
});

describe('ProviderRuntime: delete and update', () => {
  it('deletes: terminal status reported, pod forgotten; unknown or stale UIDs are NotFound', async () => {
    const { r, backend, reported } = runtime();
    const p = pod('doomed');
    await r.createPod(p, call());
    backend.boxes.get(p.metadata!.uid!)!.phase = 'Running';
    await expect(r.deletePod({ ...p, metadata: { ...p.metadata, uid: 'other' } }, call())).rejects.toSatisfy(
      isNotFound,
    );
    await r.deletePod(p, call());
    expect(phases(reported, p.metadata!.uid!).at(-1)).toBe('Failed');
    await expect(r.getPodStatus('ns', 'doomed', call())).rejects.toSatisfy(isNotFound);
    await expect(r.deletePod(p, call())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a backend that no longer has the pod after the delete ends it with the kubelet terminal status', async () => {
    const { r, backend, reported } = runtime();
    backend.deleteLeaves = 'gone';
    const p = pod('gone');
    await r.createPod(p, call());
    await r.deletePod(p, call());
    expect(reported.at(-1)?.status).toMatchObject({ phase: 'Failed' });
    expect(reported.at(-1)?.status?.reason).toBeUndefined();
    expect(r.pods.size).toBe(0);
  });

  it('a delete waits for a create in flight, so nothing is left in the backend', async () => {
    const { r, backend } = runtime();
    const p = pod('early');
    const held = gate();
    backend.hold.create = held.promise;
    const creating = r.createPod(p, call());
    const deleting = r.deletePod(p, call());
    held.open();
    await creating;
    await deleting;
    expect(backend.count('delete')).toBe(1);
    expect(r.pods.size).toBe(0);
  });

  it('updates metadata without backend support, and refuses an unknown pod', async () => {
    const { r } = runtime();
    const p = pod('labelled');
    await r.createPod(p, call());
    await r.updatePod({ ...p, metadata: { ...p.metadata, labels: { tier: 'web' } } }, call());
    expect((await r.getPod('ns', 'labelled', call())).metadata?.labels).toEqual({ tier: 'web' });
    await expect(r.updatePod(pod('nobody'), call())).rejects.toSatisfy(isNotFound);
  });
});

describe('ProviderRuntime: adoption, sync, watch and close', () => {
  it('adopts what the backend runs, creates nothing for it, and takes the API pod and qosClass on re-create', async () => {
    const backend = new FakeBackend();
    backend.boxes.set('uid-old', { id: 'old', phase: 'Running' });
    const { r, reported } = runtime(backend);
    await r.start();
    expect((await r.getPods(call())).map(p => p.metadata?.uid)).toEqual(['uid-old']);
    const api: V1Pod = {
      metadata: { namespace: 'adopted', name: 'old', uid: 'uid-old' },
      spec: { containers: [{ name: 'app', image: 'real', resources: { requests: { cpu: '1' } } }] },
      status: { qosClass: 'Burstable' },
    };
    await r.createPod(api, call());
    expect(backend.count('create')).toBe(0);
    expect(reported.at(-1)?.status?.qosClass).toBe('Burstable');
    expect((await r.getPod('adopted', 'old', call())).spec?.containers[0]?.image).toBe('real');
  });

  it('can start again after an adoption that failed, and then adopts', async () => {
    const backend = new FakeBackend();
    backend.boxes.set('uid-later', { id: 'later', phase: 'Running' });
    const list = backend.list.bind(backend);
    let reachable = false;
    backend.list = async options => {
      if (!reachable) throw new Error('backend unreachable');
      return list(options);
    };
    const { r } = runtime(backend);
    await expect(r.start()).rejects.toThrow('backend unreachable');
    expect(r.pods.size).toBe(0);
    reachable = true;
    await r.start();
    expect((await r.getPods(call())).map(p => p.metadata?.uid)).toEqual(['uid-later']);
    await r.start();
    expect(backend.count('list')).toBe(1);
  });

  it('syncs right after create, never twice at once, and coalesces requests made meanwhile', async () => {
    const backend = new FakeBackend();
    let running = 0;
    let most = 0;
    const syncs: string[] = [];
    const held = gate();
    const sync = async (record: TrackedPod<Box>): Promise<Box> => {
      running++;
      most = Math.max(most, running);
      syncs.push(record.uid);
      await held.promise;
      running--;
      return { ...record.state, phase: 'Running' };
    };
    Object.assign(backend, { sync });
    const { r, reported } = runtime(backend);
    const p = pod('synced');
    await r.createPod(p, call());
    r.syncSoon(p.metadata!.uid!);
    r.syncSoon(p.metadata!.uid!);
    held.open();
    await vi.waitFor(() => expect(phases(reported, p.metadata!.uid!).at(-1)).toBe('Running'));
    await vi.waitFor(() => expect(syncs).toHaveLength(2));
    expect(most).toBe(1);
  });

  it('takes pushed states from a watch, and stops the watch on close', async () => {
    const backend = new FakeBackend();
    let watchSignal: AbortSignal | undefined;
    let push: ((uid: string, state: Box | null) => void) | undefined;
    Object.assign(backend, {
      watch: async (events: { report(uid: string, state: Box | null): void }, signal: AbortSignal) => {
        watchSignal = signal;
        push = (uid, state) => events.report(uid, state);
        await new Promise(resolve => signal.addEventListener('abort', resolve));
      },
    });
    const { r, reported } = runtime(backend);
    await r.start();
    const p = pod('pushed');
    await r.createPod(p, call());
    push!(p.metadata!.uid!, { id: 'x', phase: 'Stopped', exitCode: 0 });
    expect(reported.at(-1)?.status?.phase).toBe('Succeeded');
    await r.close();
    expect(watchSignal?.aborted).toBe(true);
  });

  it('close() leaves no timer behind and aborts and waits for the requests in flight', async () => {
    vi.useFakeTimers();
    const backend = new FakeBackend();
    const { r } = runtime(backend, { intervalMs: 1000 });
    await r.start();
    expect(vi.getTimerCount()).toBe(1);
    await r.createPod(pod('a'), call());
    backend.hold.refresh = new Promise(() => {}); // never answers by itself
    await vi.advanceTimersByTimeAsync(1000);
    const refreshSignal = backend.signals.at(-1)!;
    expect(refreshSignal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0); // the next pass is scheduled only after this one
    await r.close();
    // The refresh in flight was aborted and waited for; no pass is scheduled after it.
    expect(refreshSignal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(backend.count('refresh')).toBe(1);
  });
});

describe('backendCaller', () => {
  it('converts errors with the backend mapping and passes results through', async () => {
    const call = backendCaller({
      system: 'test',
      toError: (e, op) => new NotFoundError(`${op}: ${String(e)}`),
    });
    expect(await call('Get', async () => 42)).toBe(42);
    await expect(call('Get', async () => Promise.reject(new Error('gone')))).rejects.toThrow(
      'Get: Error: gone',
    );
  });
});
