import type { V1Pod } from '@kubernetes/client-node';
import { InvalidInputError } from '@vkubelet/provider-kit';
import { recordSpans, type SpanRecorder } from '@vkubelet/provider-kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { PodController, type PodControllerOptions } from '../../../src/pod/controller.js';
import type { PodApi, PodInformer } from '../../../src/pod/types.js';
import { NotifyingProvider, RecordingProvider } from '../../integration/pod/recording-provider.js';
import { FakeResources, RecordingEvents } from './env/fakes.js';

type Handlers = Parameters<PodInformer['addHandlers']>[0];

class FakeInformer implements PodInformer {
  readonly store = new Map<string, V1Pod>();
  handlers: Handlers[] = [];
  get(key: string): V1Pod | undefined {
    return this.store.get(key);
  }
  list(): V1Pod[] {
    return [...this.store.values()];
  }
  async waitForSync(): Promise<void> {}
  addHandlers(handlers: Handlers): () => void {
    for (const pod of this.store.values()) handlers.onAdd?.(pod);
    this.handlers.push(handlers);
    return () => undefined;
  }
  put(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const old = this.store.get(key);
    this.store.set(key, pod);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, pod);
      else h.onAdd?.(pod);
    }
  }
  remove(key: string): void {
    const old = this.store.get(key);
    this.store.delete(key);
    if (old) for (const h of this.handlers) h.onDelete?.(old);
  }
}

interface ApiCall {
  method: string;
  path: string;
  body: unknown;
}

/** Records API calls; applies status patches to the fake informer so the controller sees them. */
class FakeApi implements PodApi {
  readonly calls: ApiCall[] = [];
  failPatches = 0;
  /** Pods the API server changed in a way the informer has not shown yet. */
  readonly changedOnServer = new Set<string>();
  constructor(private readonly informer: FakeInformer) {}
  async write(method: string, path: string, options: { body?: unknown } = {}): Promise<void> {
    const body = options.body;
    this.calls.push({ method, path, body });
    if (method !== 'PATCH') return;
    if (this.failPatches > 0) {
      this.failPatches--;
      throw Object.assign(new Error('500 etcd timeout'), { code: 500 });
    }
    const [, ns, name] = /namespaces\/([^/]+)\/pods\/([^/]+)/.exec(path) ?? [];
    const key = `${ns}/${name}`;
    const pinned = (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (pinned !== undefined && this.changedOnServer.has(key)) {
      throw Object.assign(new Error('409 the object has been modified'), { code: 409 });
    }
    const pod = this.informer.get(key);
    if (pod) {
      const status = { ...pod.status, ...(body as { status: object }).status };
      for (const [k, v] of Object.entries(status))
        if (v === null) delete (status as Record<string, unknown>)[k];
      this.informer.put({
        ...pod,
        metadata: { ...pod.metadata, resourceVersion: String(Date.now()) },
        status,
      });
    }
  }
  deletes(): ApiCall[] {
    return this.calls.filter(call => call.method === 'DELETE');
  }
  statusPatches(): ApiCall[] {
    return this.calls.filter(call => call.method === 'PATCH');
  }
}

function pod(name: string, uid = `uid-${name}`, extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name, namespace: 'ns', uid, resourceVersion: '1' },
    spec: { nodeName: 'vk', containers: [{ name: 'c', image: 'img' }] },
    status: { phase: 'Pending' },
    ...extra,
  };
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
};

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function start(
  provider: RecordingProvider,
  informer = new FakeInformer(),
  resources = new FakeResources(),
  options: Partial<PodControllerOptions> = {},
) {
  const api = new FakeApi(informer);
  const events = new RecordingEvents();
  const controller = new PodController({
    nodeName: 'vk',
    client: api,
    podInformer: informer,
    resources,
    provider,
    events,
    workers: 2,
    baseBackoffMs: 10,
    maxBackoffMs: 50,
    statusPollIntervalMs: 20,
    ...options,
  });
  const abort = new AbortController();
  const done = controller.run(abort.signal);
  stops.push(async () => {
    abort.abort();
    await done;
  });
  return { api, events, informer, controller, resources };
}

/** Reports Pending (IP not yet assigned) as soon as it creates a pod, and Running `runAfterMs` later. */
class SlowStartProvider extends NotifyingProvider {
  constructor(private readonly runAfterMs: number) {
    super();
  }
  override async createPod(pod: V1Pod, options: { signal: AbortSignal }): Promise<void> {
    const notify = this.notify;
    this.notify = undefined;
    await super.createPod(pod, options);
    this.notify = notify;
    const running = this.pods.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`)!;
    notify?.({
      ...running,
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
    });
    setTimeout(() => notify?.(structuredClone(running)), this.runAfterMs);
  }
}

function markDeleted(informer: FakeInformer, key: string, finalizers?: string[]): void {
  const current = informer.get(key)!;
  informer.put({
    ...current,
    metadata: {
      ...current.metadata,
      deletionTimestamp: new Date(Date.now() + 30_000),
      deletionGracePeriodSeconds: 30,
      ...(finalizers ? { finalizers } : {}),
    },
  });
}

describe('PodController (fakes)', () => {
  it('start-up: keeps same-UID provider pods, deletes dangling and stale-UID ones, creates the new UID', async () => {
    const provider = new NotifyingProvider();
    for (const p of [pod('keep'), pod('orphan'), pod('renewed', 'old-uid')]) {
      await provider.createPod(p, { signal: AbortSignal.timeout(1000) });
    }
    provider.calls.length = 0;
    const informer = new FakeInformer();
    informer.store.set('ns/keep', pod('keep'));
    informer.store.set('ns/renewed', pod('renewed', 'new-uid'));
    const { controller } = start(provider, informer);
    await until(() => controller.ready, 'ready');
    await until(() => provider.callsFor('renewed', 'create').length === 1, 'renewed created');
    expect(provider.calls.map(c => `${c.op} ${c.key} ${c.uid}`).sort()).toEqual([
      'create ns/renewed new-uid',
      'delete ns/orphan uid-orphan',
      'delete ns/renewed old-uid',
    ]);
  });

  it('writes statuses with their own number of workers (apiWorkers)', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider, undefined, undefined, { apiWorkers: 20 });
    // Hold every status patch until 20 are in flight at once; 2 sync workers start the pods.
    let release: (() => void) | undefined;
    const allInFlight = new Promise<void>(resolve => (release = resolve));
    let inFlight = 0;
    const write = api.write.bind(api);
    api.write = async (method: string, path: string, options?: { body?: unknown }): Promise<void> => {
      if (++inFlight >= 20) release?.();
      await allInFlight;
      return write(method, path, options);
    };
    for (let i = 0; i < 20; i++) informer.put(pod(`p${i}`));
    await until(() => inFlight >= 20, '20 status writes in flight');
  });

  it('makes one status write of reports the provider sends back to back (Pending, then Running)', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider);
    informer.put(pod('twice'));
    await until(() => informer.get('ns/twice')?.status?.phase === 'Running', 'running');
    const before = api.statusPatches().length;
    const notify = (provider as unknown as { notify: (p: V1Pod) => void }).notify;
    notify({ ...pod('twice'), status: { phase: 'Running', podIP: '10.0.0.9' } });
    notify({ ...pod('twice'), status: { phase: 'Succeeded', podIP: '10.0.0.9' } });
    await until(() => informer.get('ns/twice')?.status?.phase === 'Succeeded', 'succeeded');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(api.statusPatches().slice(before)).toHaveLength(1);
  });

  it('writes one status for the Running transition when Running follows Pending within the delay', async () => {
    const provider = new SlowStartProvider(30);
    const { api, informer } = start(provider, undefined, undefined, { pendingStatusDelayMs: 300 });
    informer.put(pod('quick'));
    await until(() => informer.get('ns/quick')?.status?.phase === 'Running', 'running');
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(api.statusPatches()).toHaveLength(1);
  });

  it('writes a Pending report that still stands once the delay is over', async () => {
    const provider = new SlowStartProvider(600);
    const { api, informer } = start(provider, undefined, undefined, { pendingStatusDelayMs: 100 });
    informer.put(pod('slow'));
    await until(() => api.statusPatches().length === 1, 'Pending written');
    expect(api.statusPatches()[0]?.body).toMatchObject({
      status: { conditions: [{ type: 'PodScheduled', status: 'True' }] },
    });
    await until(() => informer.get('ns/slow')?.status?.phase === 'Running', 'running');
    expect(api.statusPatches()).toHaveLength(2);
  });

  it('start-up: an errored provider list deletes nothing', async () => {
    const provider = new NotifyingProvider();
    await provider.createPod(pod('orphan'), { signal: AbortSignal.timeout(1000) });
    provider.getPods = () => Promise.reject(new Error('backend down'));
    const { controller } = start(provider);
    await until(() => controller.ready, 'ready');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(provider.callsFor('orphan', 'delete')).toEqual([]);
  });

  it('InvalidInput from the provider fails the pod without retrying', async () => {
    const provider = new NotifyingProvider();
    provider.failNext.create = [new InvalidInputError('image not allowed'), new InvalidInputError('again')];
    const { api, events, informer } = start(provider);
    informer.put(pod('bad'));
    await until(() => api.statusPatches().length > 0, 'status written');
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(api.statusPatches()[0]?.body).toMatchObject({
      metadata: { uid: 'uid-bad' },
      status: { phase: 'Failed', reason: 'ProviderFailed', message: 'image not allowed' },
    });
    expect(provider.failNext.create).toHaveLength(1);
    expect(events.reasons()).toEqual(['ProviderCreateFailed']);
  });

  it('a failed update of a running pod is an event: the status stays Running (soak: Running then Pending)', async () => {
    const provider = new NotifyingProvider();
    const { api, events, informer } = start(provider);
    informer.put(pod('busy', 'uid-busy', { spec: { ...pod('busy').spec!, restartPolicy: 'Never' } }));
    await until(() => informer.get('ns/busy')?.status?.phase === 'Running', 'running');
    const writes = api.statusPatches().length;
    provider.failNext.update = [new Error('backend 503'), new Error('backend 503 again')];
    const running = informer.get('ns/busy')!;
    informer.put({ ...running, metadata: { ...running.metadata, labels: { revision: '2' } } });
    await until(
      () => provider.callsFor('busy', 'update').length === 1,
      'the update retried until it went through',
    );
    expect(events.reasons().filter(reason => reason === 'ProviderUpdateFailed')).toHaveLength(2);
    expect(api.statusPatches().slice(writes)).toEqual([]);
    expect(informer.get('ns/busy')?.status?.phase).toBe('Running');
  });

  it('start-up: a started pod the provider no longer has is marked Failed, not created again (soak, #762)', async () => {
    const provider = new NotifyingProvider();
    const informer = new FakeInformer();
    informer.store.set('ns/gone', pod('gone', 'uid-gone', { status: { phase: 'Running' } }));
    informer.store.set('ns/fresh', pod('fresh'));
    const { api } = start(provider, informer);
    await until(() => informer.get('ns/gone')?.status?.phase === 'Failed', 'the lost pod Failed');
    await until(() => informer.get('ns/fresh')?.status?.phase === 'Running', 'the new pod Running');
    expect(informer.get('ns/gone')?.status).toMatchObject({ phase: 'Failed', reason: 'NotFound' });
    expect(provider.callsFor('gone', 'create')).toEqual([]);
    expect(api.statusPatches().filter(call => call.path.includes('/gone/'))).toHaveLength(1);
  });

  it('resync: a pod lost while the agent runs is marked Failed; a dangling provider pod is deleted', async () => {
    const provider = new NotifyingProvider();
    const { informer } = start(provider, undefined, undefined, { inventoryResyncIntervalMs: 30 });
    informer.put(pod('vanishing'));
    await until(() => informer.get('ns/vanishing')?.status?.phase === 'Running', 'running');
    // Out of band, without a notification: the backend forgets one pod and runs one nobody asked for.
    provider.pods.delete('ns/vanishing');
    await provider.createPod(pod('late'), { signal: AbortSignal.timeout(1000) });
    await until(() => informer.get('ns/vanishing')?.status?.phase === 'Failed', 'the lost pod Failed');
    await until(() => provider.callsFor('late', 'delete').length === 1, 'the dangling pod deleted');
    expect(informer.get('ns/vanishing')?.status?.reason).toBe('NotFound');
    expect(provider.callsFor('vanishing', 'create')).toHaveLength(1);
  });

  it('start-up without a provider listing: a pod that finished meanwhile gets its status from the lookup (soak)', async () => {
    const provider = new NotifyingProvider();
    // Created by the agent before this one (which died before writing its status), done since.
    await provider.createPod(pod('done'), { signal: AbortSignal.timeout(1000) });
    provider.pods.get('ns/done')!.status = { phase: 'Succeeded', reason: 'Completed' };
    provider.getPods = () => Promise.reject(new Error('backend throttled'));
    const informer = new FakeInformer();
    informer.store.set('ns/done', pod('done', 'uid-done', { status: { phase: 'Pending' } }));
    start(provider, informer);
    await until(
      () => informer.get('ns/done')?.status?.phase === 'Succeeded',
      'the status the provider holds',
    );
    expect(provider.callsFor('done', 'create')).toHaveLength(1);
  });

  it('a failure status is written only over the version it was decided on (soak: Succeeded got ProviderFailed)', async () => {
    const provider = new NotifyingProvider();
    provider.failNext.create = [new Error('throttled')];
    const { api, informer } = start(provider);
    // The pod finished on the server while this informer still shows it Pending.
    api.changedOnServer.add('ns/stale');
    informer.put(pod('stale'));
    await until(() => api.statusPatches().length > 0, 'the failure status tried');
    expect(api.statusPatches()[0]?.body).toMatchObject({
      metadata: { uid: 'uid-stale', resourceVersion: '1' },
      status: { reason: 'ProviderFailed' },
    });
    // Refused (409): nothing of it reached the pod.
    expect(informer.get('ns/stale')?.status?.reason).toBeUndefined();
  });

  it('retries a restartPolicy Never pod after a transient create error; Pending meanwhile (soak)', async () => {
    const provider = new NotifyingProvider();
    provider.failNext.create = [new Error('throttled')];
    const { api, informer } = start(provider);
    informer.put(pod('never', 'uid-never', { spec: { ...pod('never').spec!, restartPolicy: 'Never' } }));
    await until(() => informer.get('ns/never')?.status?.phase === 'Running', 'running after the retry');
    // The pod was Pending already: the failure adds its reason, the phase stays.
    const failure = api.statusPatches()[0]?.body as { status: { phase?: string; reason?: string } };
    expect(failure.status).toMatchObject({ reason: 'ProviderFailed' });
    expect(failure.status.phase).toBeUndefined();
  });

  it('writes a terminal status once, then leaves the pod alone', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider);
    informer.put(pod('job'));
    await until(() => informer.get('ns/job')?.status?.phase === 'Running', 'running');
    const notify = (provider as unknown as { notify: (p: V1Pod) => void }).notify;
    notify({ ...pod('job'), status: { phase: 'Succeeded' } });
    await until(() => informer.get('ns/job')?.status?.phase === 'Succeeded', 'succeeded');
    const writes = api.statusPatches().length;
    notify({ ...pod('job'), status: { phase: 'Running' } });
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(api.statusPatches()).toHaveLength(writes);
  });

  it('provider-initiated deletion deletes the pod in the API, even when the status write fails', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider);
    informer.put(pod('evicted'));
    await until(() => informer.get('ns/evicted')?.status?.phase === 'Running', 'running');
    api.failPatches = 100;
    const notify = (provider as unknown as { notify: (p: V1Pod) => void }).notify;
    const gone = new Date(Date.now() - 1000);
    notify({
      ...pod('evicted'),
      metadata: { ...pod('evicted').metadata, deletionTimestamp: gone },
      status: { phase: 'Failed', reason: 'Evicted' },
    });
    await until(() => api.deletes().length > 0, 'API delete');
    expect(api.deletes()[0]).toMatchObject({
      path: '/api/v1/namespaces/ns/pods/evicted',
      body: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-evicted' } },
    });
  });

  it('graceful delete: provider delete, then force delete with a UID precondition', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider);
    informer.put(pod('bye'));
    await until(() => informer.get('ns/bye')?.status?.phase === 'Running', 'running');
    markDeleted(informer, 'ns/bye');
    await until(() => api.deletes().length > 0, 'force delete');
    expect(provider.callsFor('bye', 'delete')).toHaveLength(1);
    expect(api.deletes()[0]?.body).toMatchObject({
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-bye' },
    });
  });

  it('deleting a pod without finalizers: the force delete only, no terminal status before it', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider);
    informer.put(pod('plain'));
    await until(() => informer.get('ns/plain')?.status?.phase === 'Running', 'running');
    const writes = api.statusPatches().length;
    markDeleted(informer, 'ns/plain');
    await until(() => api.deletes().length > 0, 'force delete');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(api.statusPatches()).toHaveLength(writes);
    expect(api.deletes()).toHaveLength(1);
  });

  it('deleting a pod with a finalizer: its terminal status is written, and the force delete sent', async () => {
    const provider = new NotifyingProvider();
    const { api, informer } = start(provider);
    informer.put(pod('tracked'));
    await until(() => informer.get('ns/tracked')?.status?.phase === 'Running', 'running');
    const writes = api.statusPatches().length;
    markDeleted(informer, 'ns/tracked', ['batch.kubernetes.io/job-tracking']);
    // The finalizer keeps the pod after the force delete: whoever holds it sees its terminal phase.
    await until(() => api.deletes().length > 0 && api.statusPatches().length > writes, 'status and delete');
    expect(api.statusPatches().slice(writes)).toHaveLength(1);
    expect(api.statusPatches()[writes]?.body).toMatchObject({ status: { phase: 'Succeeded' } });
  });

  it('keeps the resolved env of a running pod: a ConfigMap deleted later does not block updates (#649)', async () => {
    const provider = new NotifyingProvider();
    const resources = new FakeResources().configMap('ns', 'cm', { K: 'v' });
    const { informer, events } = start(provider, new FakeInformer(), resources);
    const withEnv = pod('env', 'uid-env', {
      spec: {
        nodeName: 'vk',
        containers: [{ name: 'c', image: 'img', envFrom: [{ configMapRef: { name: 'cm' } }] }],
      },
    });
    informer.put(withEnv);
    await until(() => provider.callsFor('env', 'create').length === 1, 'created');
    resources.configMaps.clear();
    const current = informer.get('ns/env')!;
    informer.put({ ...current, metadata: { ...current.metadata, labels: { new: 'label' } } });
    await until(() => provider.callsFor('env', 'update').length === 1, 'updated');
    expect(provider.callsFor('env', 'update')[0]?.pod.spec?.containers[0]?.env).toEqual([
      { name: 'K', value: 'v' },
    ]);
    expect(events.reasons().filter(reason => reason.includes('NotFound'))).toEqual([]);
  });

  it('creates no pod until an optional Secret it refers to was read: a 403 is retried, not skipped', async () => {
    const provider = new NotifyingProvider();
    const resources = new FakeResources().secret('ns', 's', { K: 'v' });
    // The Node authorizer refuses the read until it has seen the pod bound to this node.
    resources.failing.add('s');
    const { informer, events } = start(provider, new FakeInformer(), resources);
    informer.put(
      pod('opt', 'uid-opt', {
        spec: {
          nodeName: 'vk',
          containers: [
            {
              name: 'c',
              image: 'img',
              env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 's', key: 'K', optional: true } } }],
            },
          ],
        },
      }),
    );
    await until(() => resources.reads >= 3, 'reads retried');
    expect(provider.callsFor('opt', 'create')).toHaveLength(0);
    resources.failing.delete('s');
    await until(() => provider.callsFor('opt', 'create').length === 1, 'created');
    expect(provider.callsFor('opt', 'create')[0]?.pod.spec?.containers[0]?.env).toEqual([
      { name: 'V', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'K' } } },
    ]);
    expect(events.reasons()).toContain('FailedToReadOptionalSecret');
    expect(events.reasons()).not.toContain('OptionalSecretNotFound');
  });

  it('kubectl debug on a provider without ephemeral containers: no update, an event and a terminated status', async () => {
    const provider = new NotifyingProvider();
    const { informer, events, api } = start(provider);
    informer.put(pod('dbg'));
    await until(() => provider.callsFor('dbg', 'create').length === 1, 'created');
    const current = informer.get('ns/dbg')!;
    informer.put({
      ...current,
      spec: {
        ...current.spec!,
        ephemeralContainers: [{ name: 'debugger', image: 'busybox', stdin: true, tty: true }],
      },
    });
    await until(() => events.reasons().includes('EphemeralContainersNotSupported'), 'refused');
    const patch = api
      .statusPatches()
      .map(call => (call.body as { status: { ephemeralContainerStatuses?: unknown } }).status)
      .find(status => status.ephemeralContainerStatuses);
    expect(patch?.ephemeralContainerStatuses).toMatchObject([
      {
        name: 'debugger',
        ready: false,
        state: { terminated: { exitCode: 128, reason: 'EphemeralContainersNotSupported' } },
      },
    ]);
    // Another change of the pod neither updates the provider with the container nor repeats the event.
    const later = informer.get('ns/dbg')!;
    informer.put({ ...later, metadata: { ...later.metadata, labels: { again: 'yes' } } });
    await until(() => provider.callsFor('dbg', 'update').length === 1, 'updated');
    expect(provider.callsFor('dbg', 'update')[0]?.pod.spec?.ephemeralContainers).toBeUndefined();
    expect(events.reasons().filter(reason => reason === 'EphemeralContainersNotSupported')).toHaveLength(1);
  });

  it('passes ephemeral containers to a provider that declares it runs them', async () => {
    const provider = Object.assign(new NotifyingProvider(), { supportsEphemeralContainers: true });
    const { informer, events } = start(provider);
    informer.put(pod('dbg2'));
    await until(() => provider.callsFor('dbg2', 'create').length === 1, 'created');
    const current = informer.get('ns/dbg2')!;
    informer.put({
      ...current,
      spec: { ...current.spec!, ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] },
    });
    await until(() => provider.callsFor('dbg2', 'update').length === 1, 'updated');
    expect(provider.callsFor('dbg2', 'update')[0]?.pod.spec?.ephemeralContainers).toMatchObject([
      { name: 'debugger', image: 'busybox' },
    ]);
    expect(events.reasons()).not.toContain('EphemeralContainersNotSupported');
  });

  it('polls a provider without notifyPods and reports a lost pod as Failed', async () => {
    const provider = new RecordingProvider();
    const { informer } = start(provider);
    informer.put(pod('lost'));
    await until(() => informer.get('ns/lost')?.status?.phase === 'Running', 'running via polling');
    provider.pods.clear();
    await until(() => informer.get('ns/lost')?.status?.phase === 'Failed', 'lost pod failed');
    expect(informer.get('ns/lost')?.status?.reason).toBe('NotFound');
  });
});

describe('PodController spans', () => {
  let recorder: SpanRecorder;
  beforeAll(async () => (recorder = await recordSpans()));
  afterAll(() => recorder.stop());
  const named = (name: string) => recorder.spans().filter(span => span.name === name);

  it("puts a pod's status writes in the trace of the sync that created it, until it runs", async () => {
    const provider = new NotifyingProvider();
    const { informer } = start(provider);
    informer.put(pod('traced'));
    await until(() => informer.get('ns/traced')?.status?.phase === 'Running', 'running');
    await until(() => named('sync pod status').length > 0, 'status span');
    const [sync] = named('sync pod').filter(span => span.attributes['k8s.pod.name'] === 'traced');
    expect(sync!.parentSpanId).toBeUndefined();
    expect(sync!.attributes).toMatchObject({
      'k8s.namespace.name': 'ns',
      'k8s.pod.uid': 'uid-traced',
      'k8s.node.name': 'vk',
      'vkubelet.queue.name': 'pod-sync',
      'vkubelet.queue.attempt': 1,
    });
    const children = recorder.spans().filter(span => span.parentSpanId === sync!.spanId);
    expect(children.map(span => span.name)).toEqual(
      expect.arrayContaining(['resolve env', 'provider createPod', 'sync pod status']),
    );
    expect(named('provider createPod')[0]!.attributes).toMatchObject({
      'k8s.pod.name': 'traced',
      'vkubelet.provider.operation': 'createPod',
    });
    const statusWrite = named('sync pod status').find(span => span.parentSpanId === sync!.spanId)!;
    expect(statusWrite.attributes).toMatchObject({
      'vkubelet.queue.name': 'pod-status',
      'vkubelet.pod.phase': 'Running',
    });

    // Once Running is written, the pod's later status writes are traces of their own.
    recorder.reset();
    const notify = (provider as unknown as { notify: (p: V1Pod) => void }).notify;
    notify({ ...pod('traced'), status: { phase: 'Succeeded' } });
    await until(() => named('sync pod status').length > 0, 'later status span');
    expect(named('sync pod status')[0]!.parentSpanId).toBeUndefined();
  });

  it('records a failed sync on its span, with the attempt it was', async () => {
    const provider = new NotifyingProvider();
    provider.failNext.create = [new Error('backend unreachable')];
    const { informer } = start(provider);
    informer.put(pod('flaky'));
    await until(() => informer.get('ns/flaky')?.status?.phase === 'Running', 'running after a retry');
    const syncs = named('sync pod').filter(span => span.attributes['k8s.pod.name'] === 'flaky');
    const failed = syncs.find(span => span.attributes['vkubelet.queue.attempt'] === 1)!;
    expect(failed.status).toMatchObject({ code: 2, message: 'backend unreachable' });
    expect(failed.events).toContain('exception');
    expect(syncs.some(span => span.attributes['vkubelet.queue.attempt'] === 2)).toBe(true);
  });
});
