// The pod controller against a real kube-apiserver (no scheduler, no controller-manager): pods are
// bound by setting spec.nodeName as admin; the controller runs with the node's identity, so the
// Node authorizer and NodeRestriction check every call it makes.
import type { EventsV1Event, V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../../src/kube/client.js';
import { clientFor, eventually, podManifest, runController, type RunningController } from './harness.js';
import { NotifyingProvider, RecordingProvider } from './recording-provider.js';

const NODE = 'vk-notify';
let cp: ControlPlane;
let admin: KubeClient;
let provider: NotifyingProvider;
let running: RunningController;
let namespaceCount = 0;

async function newNamespace(): Promise<string> {
  const name = `ns-${++namespaceCount}`;
  await admin.requestJson('POST', '/api/v1/namespaces', { body: { metadata: { name } } });
  return name;
}

async function createPod(namespace: string, pod: V1Pod): Promise<V1Pod> {
  return admin.requestJson<V1Pod>('POST', `/api/v1/namespaces/${namespace}/pods`, { body: pod });
}

async function getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await admin.requestJson<V1Pod>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function eventsOf(namespace: string, podName: string): Promise<EventsV1Event[]> {
  const list = await admin.requestJson<{ items: EventsV1Event[] }>(
    'GET',
    `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
  );
  return list.items.filter(event => event.regarding?.name === podName);
}

async function waitForEvent(namespace: string, podName: string, reason: string): Promise<EventsV1Event> {
  return eventually(
    async () => {
      const event = (await eventsOf(namespace, podName)).find(candidate => candidate.reason === reason);
      if (!event) throw new Error(`no ${reason} event yet`);
      return event;
    },
    20_000,
    `event ${reason} on ${namespace}/${podName}`,
  );
}

async function waitForPhase(namespace: string, name: string, phase: string): Promise<V1Pod> {
  return eventually(
    async () => {
      const pod = await getPod(namespace, name);
      if (pod?.status?.phase !== phase) throw new Error(`phase ${pod?.status?.phase}`);
      return pod;
    },
    20_000,
    `${namespace}/${name} ${phase}`,
  );
}

beforeAll(async () => {
  cp = await startControlPlane({ name: 'core-pod', scheduler: false, controllerManager: false });
  admin = clientFor(cp.adminKubeconfigPath);
  provider = new NotifyingProvider();
  running = await runController(await cp.nodeKubeconfig(NODE), NODE, provider);
  await eventually(() => expect(running.controller.ready).toBe(true), 30_000, 'controller ready');
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await admin?.close();
  await cp?.stop();
});

describe('PodController with a notifying provider', { timeout: 30_000 }, () => {
  it('creates a pod in the provider once and reports Running (seen through a watch)', async () => {
    const ns = await newNamespace();
    const created = await createPod(ns, podManifest('web', NODE));
    const seen: string[] = [];
    const watch = new AbortController();
    const watching = admin
      .watch<V1Pod>(
        `/api/v1/namespaces/${ns}/pods`,
        { fieldSelector: 'metadata.name=web', resourceVersion: created.metadata?.resourceVersion },
        event => {
          seen.push(event.object.status?.phase ?? '');
          if (event.object.status?.phase === 'Running') watch.abort();
        },
        watch.signal,
      )
      .catch(() => undefined);
    await eventually(() => expect(seen).toContain('Running'), 20_000, 'Running in the watch');
    watch.abort();
    await watching;
    const pod = await getPod(ns, 'web');
    expect(pod?.status).toMatchObject({ podIP: '10.1.0.7', hostIP: '192.168.0.10' });
    expect(pod?.metadata?.labels).toEqual({ app: 'web' });
    expect(provider.callsFor('web', 'create')).toHaveLength(1);
    expect(provider.callsFor('web', 'create')[0]?.uid).toBe(created.metadata?.uid);
    const event = await waitForEvent(ns, 'web', 'ProviderCreateSuccess');
    expect(event).toMatchObject({
      type: 'Normal',
      note: 'Create pod in provider successfully',
      reportingController: `${NODE}/pod-controller`,
      reportingInstance: NODE,
      regarding: { kind: 'Pod', name: 'web', uid: created.metadata?.uid },
    });
  });

  it('passes spec changes to updatePod, and ignores status-only changes', async () => {
    const ns = await newNamespace();
    await createPod(ns, podManifest('upd', NODE));
    await waitForPhase(ns, 'upd', 'Running');
    await admin.patch(
      `/api/v1/namespaces/${ns}/pods/upd`,
      { metadata: { labels: { tier: 'gold' } } },
      'merge',
    );
    await eventually(() => expect(provider.callsFor('upd', 'update')).toHaveLength(1), 20_000, 'update');
    expect(provider.callsFor('upd', 'update')[0]?.pod.metadata?.labels).toEqual({ app: 'upd', tier: 'gold' });
    await admin.patch(
      `/api/v1/namespaces/${ns}/pods/upd/status`,
      { status: { conditions: [{ type: 'Custom', status: 'True' }] } },
      'strategic',
    );
    await new Promise(resolve => setTimeout(resolve, 1000));
    expect(provider.callsFor('upd', 'update')).toHaveLength(1);
    expect(provider.callsFor('upd', 'create')).toHaveLength(1);
    // The status patch merges conditions by type: ours stay, theirs survive.
    const pod = await getPod(ns, 'upd');
    expect(pod?.status?.conditions?.map(c => c.type).sort()).toEqual(['Custom', 'Ready']);
  });

  it('deletes gracefully: provider delete first, then the API object goes', async () => {
    const ns = await newNamespace();
    const created = await createPod(ns, podManifest('graceful', NODE, { terminationGracePeriodSeconds: 30 }));
    await waitForPhase(ns, 'graceful', 'Running');
    await admin.requestJson('DELETE', `/api/v1/namespaces/${ns}/pods/graceful`);
    await eventually(async () => expect(await getPod(ns, 'graceful')).toBeUndefined(), 20_000, 'pod gone');
    const deletes = provider.callsFor('graceful', 'delete');
    expect(deletes.length).toBeGreaterThanOrEqual(1);
    expect(deletes[0]?.uid).toBe(created.metadata?.uid);
    expect(provider.pods.has(`${ns}/graceful`)).toBe(false);
    await waitForEvent(ns, 'graceful', 'ProviderDeleteSuccess');
  });

  it('force delete removes the pod from the provider', async () => {
    const ns = await newNamespace();
    await createPod(ns, podManifest('forced', NODE));
    await waitForPhase(ns, 'forced', 'Running');
    await admin.requestJson('DELETE', `/api/v1/namespaces/${ns}/pods/forced`, {
      body: { gracePeriodSeconds: 0 },
    });
    await eventually(() => expect(provider.pods.has(`${ns}/forced`)).toBe(false), 20_000, 'provider delete');
    expect(provider.callsFor('forced', 'delete')).toHaveLength(1);
  });

  it('a re-created pod with the same name replaces the old one in the provider', async () => {
    const ns = await newNamespace();
    const first = await createPod(ns, podManifest('again', NODE));
    await waitForPhase(ns, 'again', 'Running');
    await admin.requestJson('DELETE', `/api/v1/namespaces/${ns}/pods/again`, {
      body: { gracePeriodSeconds: 0 },
    });
    const second = await createPod(ns, podManifest('again', NODE));
    const pod = await waitForPhase(ns, 'again', 'Running');
    expect(pod.metadata?.uid).toBe(second.metadata?.uid);
    await eventually(() =>
      expect(provider.pods.get(`${ns}/again`)?.metadata?.uid).toBe(second.metadata?.uid),
    );
    const creates = provider.callsFor('again', 'create').map(call => call.uid);
    expect(creates).toEqual([first.metadata?.uid, second.metadata?.uid]);
    expect(provider.callsFor('again', 'delete').every(call => call.uid === first.metadata?.uid)).toBe(true);
  });

  it('writes ProviderFailed on a provider error, retries, and clears it on recovery', async () => {
    const ns = await newNamespace();
    provider.failNext.create = [new Error('backend full'), new Error('backend full')];
    await createPod(ns, podManifest('flaky', NODE));
    await eventually(
      async () =>
        expect((await getPod(ns, 'flaky'))?.status).toMatchObject({
          phase: 'Pending',
          reason: 'ProviderFailed',
          message: 'backend full',
        }),
      20_000,
      'ProviderFailed status',
    );
    const pod = await waitForPhase(ns, 'flaky', 'Running');
    // Both failures are one event whose series counts them (written as the node: update is allowed).
    await eventually(
      async () => {
        const failures = (await eventsOf(ns, 'flaky')).filter(
          event => event.reason === 'ProviderCreateFailed',
        );
        expect(failures).toHaveLength(1);
        expect(failures[0]?.series?.count).toBe(2);
      },
      20_000,
      'aggregated ProviderCreateFailed',
    );
    expect(pod.status?.reason).toBeUndefined();
    expect(pod.status?.message).toBeUndefined();
    expect(provider.callsFor('flaky', 'create')).toHaveLength(1);
    await waitForEvent(ns, 'flaky', 'ProviderCreateSuccess');
  });

  it('retries a restartPolicy Never pod after a transient provider error, as the kubelet does (soak)', async () => {
    const ns = await newNamespace();
    provider.failNext.create = [new Error('no capacity')];
    await createPod(ns, podManifest('never', NODE, { restartPolicy: 'Never' }));
    await waitForEvent(ns, 'never', 'ProviderCreateFailed');
    const pod = await waitForPhase(ns, 'never', 'Running');
    expect(pod.status?.reason).toBeUndefined();
    expect(provider.callsFor('never', 'create')).toHaveLength(1);
  });

  it('a condition turning True loses the reason and message it had while False', async () => {
    const ns = await newNamespace();
    await createPod(ns, podManifest('turns-ready', NODE));
    await waitForPhase(ns, 'turns-ready', 'Running');
    const held = provider.pods.get(`${ns}/turns-ready`)!;
    const readyOf = async () =>
      (await getPod(ns, 'turns-ready'))?.status?.conditions?.find(condition => condition.type === 'Ready');
    provider.report({
      ...held,
      status: {
        ...held.status,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ContainersNotReady',
            message: 'containers with unready status: [app]',
            lastTransitionTime: new Date(),
          },
        ],
      },
    });
    await eventually(
      async () => expect(await readyOf()).toMatchObject({ status: 'False', reason: 'ContainersNotReady' }),
      20_000,
      'Ready False stored',
    );
    provider.report({
      ...held,
      status: {
        ...held.status,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }],
      },
    });
    await eventually(async () => expect((await readyOf())?.status).toBe('True'), 20_000, 'Ready True stored');
    const ready = await readyOf();
    expect(ready?.reason).toBeUndefined();
    expect(ready?.message).toBeUndefined();
  });

  it('repairs a status someone else overwrote', async () => {
    const ns = await newNamespace();
    await createPod(ns, podManifest('repair', NODE));
    await waitForPhase(ns, 'repair', 'Running');
    await admin.patch(
      `/api/v1/namespaces/${ns}/pods/repair/status`,
      { status: { podIP: '1.2.3.4', podIPs: [{ ip: '1.2.3.4' }] } },
      'merge',
    );
    await eventually(
      async () => expect((await getPod(ns, 'repair'))?.status?.podIP).toBe('10.1.0.7'),
      20_000,
      'status repaired',
    );
  });
});

describe('env resolution against the API server', { timeout: 30_000 }, () => {
  it('optional missing references: the pod runs and gets Optional*NotFound events', async () => {
    const ns = await newNamespace();
    await createPod(
      ns,
      podManifest('optional', NODE, {
        containers: [
          {
            name: 'main',
            image: 'busybox:1',
            envFrom: [{ configMapRef: { name: 'absent', optional: true } }],
            env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'absent', key: 'k', optional: true } } }],
          },
        ],
      }),
    );
    await waitForPhase(ns, 'optional', 'Running');
    await waitForEvent(ns, 'optional', 'OptionalConfigMapNotFound');
    const event = await waitForEvent(ns, 'optional', 'OptionalSecretNotFound');
    expect(event.note).toBe('skipping optional envvar "S": secret "absent" not found');
    expect(event.type).toBe('Warning');
  });

  it('mandatory missing ConfigMap: Pending with an event, provider not called, created once it exists', async () => {
    const ns = await newNamespace();
    await createPod(
      ns,
      podManifest('mandatory', NODE, {
        containers: [{ name: 'main', image: 'busybox:1', envFrom: [{ configMapRef: { name: 'late' } }] }],
      }),
    );
    const event = await waitForEvent(ns, 'mandatory', 'MandatoryConfigMapNotFound');
    expect(event.note).toBe('configmap "late" not found');
    expect(provider.callsFor('mandatory')).toHaveLength(0);
    // kubectl get pods shows CreateContainerConfigError, as with the kubelet.
    await eventually(
      async () =>
        expect((await getPod(ns, 'mandatory'))?.status).toMatchObject({
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'main',
              state: {
                waiting: { reason: 'CreateContainerConfigError', message: 'configmap "late" not found' },
              },
            },
          ],
        }),
      20_000,
      'CreateContainerConfigError',
    );
    await admin.requestJson('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { metadata: { name: 'late' }, data: { LATE: 'yes' } },
    });
    // The phase can turn Running a status write before the container's state does (seen once under
    // load in a full run); what must hold in the end is a running container.
    const recovered = await eventually(
      async () => {
        const pod = await waitForPhase(ns, 'mandatory', 'Running');
        expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
        return pod;
      },
      20_000,
      'mandatory running container',
    );
    expect(recovered.status?.containerStatuses?.[0]?.state?.waiting).toBeUndefined();
    expect(provider.callsFor('mandatory', 'create')[0]?.pod.spec?.containers[0]?.env).toContainEqual({
      name: 'LATE',
      value: 'yes',
    });
  });

  it('mandatory missing Secret key: event and no provider call', async () => {
    const ns = await newNamespace();
    await admin.requestJson('POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: { metadata: { name: 's' }, stringData: { other: 'x' } },
    });
    await createPod(
      ns,
      podManifest('nokey', NODE, {
        containers: [
          {
            name: 'main',
            image: 'busybox:1',
            env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } }],
          },
        ],
      }),
    );
    const event = await waitForEvent(ns, 'nokey', 'MandatorySecretKeyNotFound');
    expect(event.note).toBe('key "password" does not exist in secret "s"');
    expect(provider.callsFor('nokey')).toHaveLength(0);
  });

  it('resolves envFrom, secrets, expansion, downward API and service links for the provider', async () => {
    const ns = await newNamespace();
    await admin.requestJson('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { metadata: { name: 'cfg' }, data: { HOST: 'db', '1bad': 'x' } },
    });
    await admin.requestJson('POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: { metadata: { name: 'sec' }, stringData: { password: 'hunter2' } },
    });
    await admin.requestJson('POST', `/api/v1/namespaces/${ns}/services`, {
      body: { metadata: { name: 'my-api' }, spec: { ports: [{ port: 8080, name: 'http' }] } },
    });
    await createPod(
      ns,
      podManifest('envs', NODE, {
        containers: [
          {
            name: 'main',
            image: 'busybox:1',
            // Unprefixed, the key 1bad is no valid variable name; with the prefix it is.
            envFrom: [{ configMapRef: { name: 'cfg' } }, { configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
              { name: 'URL', value: 'postgres://$(CFG_HOST):$(MY_API_SERVICE_PORT)/$$(literal)' },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Gi' } } },
            ],
            args: ['--url=$(URL)'],
          },
        ],
      }),
    );
    await waitForPhase(ns, 'envs', 'Running');
    const container = provider.callsFor('envs', 'create')[0]?.pod.spec?.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map(e => [e.name, e.value]));
    expect(env).toMatchObject({
      HOST: 'db',
      CFG_HOST: 'db',
      CFG_1bad: 'x',
      PASSWORD: 'hunter2',
      POD: 'envs',
      MEM: '32',
      KUBERNETES_SERVICE_HOST: expect.any(String),
      MY_API_SERVICE_PORT_HTTP: '8080',
    });
    expect(env.URL).toBe('postgres://db:8080/$(literal)');
    expect(container?.args).toEqual(['--url=postgres://db:8080/$(literal)']);
    expect(container?.envFrom).toEqual([]);
    await waitForEvent(ns, 'envs', 'InvalidEnvironmentVariableNames');
  });

  it('status.podIP waits (Pending, event) until an IP is reported, then resolves', async () => {
    const ns = await newNamespace();
    await createPod(
      ns,
      podManifest('needs-ip', NODE, {
        containers: [
          {
            name: 'main',
            image: 'busybox:1',
            env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          },
        ],
      }),
    );
    await waitForEvent(ns, 'needs-ip', 'DownwardAPIFieldNotReady');
    expect(provider.callsFor('needs-ip')).toHaveLength(0);
    // An IP allocated out of band (IPAM, a webhook, the provider) lands in the API status.
    await admin.patch(
      `/api/v1/namespaces/${ns}/pods/needs-ip/status`,
      { status: { podIP: '10.9.9.9', podIPs: [{ ip: '10.9.9.9' }] } },
      'strategic',
    );
    await eventually(
      () => expect(provider.callsFor('needs-ip', 'create')).toHaveLength(1),
      20_000,
      'create after IP',
    );
    expect(provider.callsFor('needs-ip', 'create')[0]?.pod.spec?.containers[0]?.env).toContainEqual({
      name: 'MY_IP',
      value: '10.9.9.9',
    });
  });
});

describe('restarts', () => {
  it('API server restarted mid-run: keeps working, no duplicate create', async () => {
    const ns = await newNamespace();
    await createPod(ns, podManifest('before', NODE));
    await waitForPhase(ns, 'before', 'Running');
    // Move the cluster's resourceVersion past the informer's: the restarted API server's watch cache
    // starts there, so the informer's watch gets 410 Gone and must relist.
    for (let i = 0; i < 5; i++) {
      await admin.requestJson('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        body: { metadata: { name: `bump-${i}` } },
      });
    }
    await cp.restartApiServer();
    await createPod(ns, podManifest('after', NODE));
    await waitForPhase(ns, 'after', 'Running');
    expect(provider.callsFor('before', 'create')).toHaveLength(1);
    expect(provider.callsFor('after', 'create')).toHaveLength(1);
    expect(
      running.metrics.total('vkubelet_informer_lists_total{informer=/api/v1/pods,reason=relist}'),
    ).toBeGreaterThanOrEqual(1);
    expect(running.controller.ready).toBe(true);
  }, 120_000);

  it('controller restarted with running pods: nothing re-created or deleted; pods deleted meanwhile are cleaned up', async () => {
    const ns = await newNamespace();
    await createPod(ns, podManifest('keep', NODE));
    await createPod(ns, podManifest('gone', NODE));
    await waitForPhase(ns, 'keep', 'Running');
    await waitForPhase(ns, 'gone', 'Running');
    await running.stop();
    const callsBefore = provider.calls.length;
    await admin.requestJson('DELETE', `/api/v1/namespaces/${ns}/pods/gone`, {
      body: { gracePeriodSeconds: 0 },
    });
    running = await runController(await cp.nodeKubeconfig(NODE), NODE, provider);
    await eventually(() => expect(running.controller.ready).toBe(true), 30_000, 'controller ready again');
    await eventually(
      () => expect(provider.pods.has(`${ns}/gone`)).toBe(false),
      20_000,
      'dangling pod deleted',
    );
    await new Promise(resolve => setTimeout(resolve, 1500));
    const after = provider.calls.slice(callsBefore);
    expect(after.filter(call => call.op === 'create')).toEqual([]);
    expect(after.filter(call => call.op === 'delete').map(call => call.key)).toEqual([`${ns}/gone`]);
    expect(provider.pods.has(`${ns}/keep`)).toBe(true);
  }, 120_000);
});

describe('PodController with a polled provider', { timeout: 30_000 }, () => {
  it('polls status, and deletes gracefully without a notifier', async () => {
    const node = 'vk-poll';
    const polled = new RecordingProvider();
    const second = await runController(await cp.nodeKubeconfig(node), node, polled, {
      statusPollIntervalMs: 300,
    });
    try {
      const ns = await newNamespace();
      await createPod(ns, podManifest('polled', node));
      await waitForPhase(ns, 'polled', 'Running');
      expect(polled.callsFor('polled', 'create')).toHaveLength(1);
      await admin.requestJson('DELETE', `/api/v1/namespaces/${ns}/pods/polled`);
      await eventually(async () => expect(await getPod(ns, 'polled')).toBeUndefined(), 20_000, 'pod gone');
      expect(polled.pods.size).toBe(0);
    } finally {
      await second.stop();
    }
  });
});
