import { createServer, connect, type AddressInfo } from 'node:net';

import type { V1Lease, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Provider, ProviderContext } from '@vkubelet/provider-kit';
import { MockBackend, MockProvider } from '@vkubelet/provider-kit/mock';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { VirtualKubelet } from '../../../src/agent/virtual-kubelet.js';
import { KubeClient } from '../../../src/kube/client.js';
import type { VirtualKubeletOptions } from '../../../src/agent/options.js';
import { clientFrom, eventually, kubeConfigFrom, loopbackKubeletApi } from '../support.js';

let plane: ControlPlane;
let admin: KubeClient;

beforeAll(async () => {
  plane = await startControlPlane({ name: 'agent' });
  admin = clientFrom(plane.adminKubeconfigPath);
});

afterAll(async () => {
  await plane?.stop();
});

/** A mock provider that counts the lifecycle calls it gets. */
function countingProvider(backend: MockBackend, nodeName: string) {
  const calls = { create: 0, delete: 0 };
  const provider = new MockProvider({ backend, nodeName, internalIP: '127.0.0.1' });
  const create = provider.createPod.bind(provider);
  const remove = provider.deletePod.bind(provider);
  provider.createPod = async (pod, options) => {
    calls.create += 1;
    return create(pod, options);
  };
  provider.deletePod = async (pod, options) => {
    calls.delete += 1;
    return remove(pod, options);
  };
  return { provider, calls };
}

async function startAgent(
  nodeName: string,
  provider: MockProvider,
): Promise<{ agent: VirtualKubelet; done: Promise<void> }> {
  const agent = await VirtualKubelet.create(await agentOptions(nodeName, { provider }));
  const done = agent.run();
  await agent.whenReady();
  return { agent, done };
}

const pod = (name: string, nodeName: string): V1Pod => ({
  metadata: { name, namespace: 'default' },
  spec: {
    nodeSelector: { 'kubernetes.io/hostname': nodeName },
    tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
    containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
  },
});

describe('VirtualKubelet against a real control plane', () => {
  it('registers a Ready node, runs a scheduled pod and deletes it', async () => {
    const backend = new MockBackend();
    const { provider, calls } = countingProvider(backend, 'vk-agent');
    const { agent, done } = await startAgent('vk-agent', provider);
    try {
      expect(agent.state).toBe('RUNNING');
      const node = await eventually(async () => {
        const n = await admin.requestJson<V1Node>('GET', '/api/v1/nodes/vk-agent');
        return n.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True' ? n : undefined;
      });
      expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(agent.kubeletPort);
      expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.36\.3-vkubelet-/);

      await admin.requestJson('POST', '/api/v1/namespaces/default/pods', { body: pod('web', 'vk-agent') });
      const running = await eventually(async () => {
        const p = await admin.requestJson<V1Pod>('GET', '/api/v1/namespaces/default/pods/web');
        return p.status?.phase === 'Running' ? p : undefined;
      });
      expect(running.spec?.nodeName).toBe('vk-agent');
      expect(calls.create).toBe(1);

      await admin.requestJson('DELETE', '/api/v1/namespaces/default/pods/web', {
        body: { gracePeriodSeconds: 1 },
      });
      await eventually(async () => {
        try {
          await admin.requestJson('GET', '/api/v1/namespaces/default/pods/web');
          return undefined;
        } catch {
          return true;
        }
      });
      expect(calls.delete).toBeGreaterThanOrEqual(1);
      expect(backend.list()).toHaveLength(0);
    } finally {
      await agent.shutdown();
      await done;
    }
    expect(agent.state).toBe('STOPPED');
  });

  it('restarts with running pods without deleting or creating any in the provider', async () => {
    const backend = new MockBackend();
    const first = countingProvider(backend, 'vk-restart-agent');
    const one = await startAgent('vk-restart-agent', first.provider);
    for (const name of ['keep-a', 'keep-b']) {
      await admin.requestJson('POST', '/api/v1/namespaces/default/pods', {
        body: pod(name, 'vk-restart-agent'),
      });
    }
    await eventually(async () => (backend.list().length === 2 ? true : undefined));
    await one.agent.shutdown();
    await one.done;

    const second = countingProvider(backend, 'vk-restart-agent');
    const two = await startAgent('vk-restart-agent', second.provider);
    try {
      // Give the controller time to reconcile; then nothing may have been created or deleted.
      await new Promise(resolve => setTimeout(resolve, 3_000));
      expect(second.calls).toEqual({ create: 0, delete: 0 });
      expect(backend.list()).toHaveLength(2);
      for (const name of ['keep-a', 'keep-b']) {
        const p = await admin.requestJson<V1Pod>('GET', `/api/v1/namespaces/default/pods/${name}`);
        expect(p.status?.phase).toBe('Running');
      }
    } finally {
      await two.agent.shutdown();
      await two.done;
    }
  });

  it('refuses to run twice and reports a bad node name at creation', async () => {
    await expect(
      VirtualKubelet.create({
        nodeName: 'Bad_Name',
        kubeConfig: kubeConfigFrom(plane.adminKubeconfigPath),
        provider: new MockProvider(),
        providerName: 'mock',
      }),
    ).rejects.toThrow(/invalid node name/);
  });
});

/** A free loopback port, held by nothing once this resolves. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** Whether something accepts connections on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function agentOptions(
  nodeName: string,
  extra: Partial<VirtualKubeletOptions> = {},
): Promise<VirtualKubeletOptions> {
  return {
    nodeName,
    kubeConfig: kubeConfigFrom(await plane.nodeKubeconfig(nodeName)),
    provider: new MockProvider({ nodeName, internalIP: '127.0.0.1' }),
    providerName: 'mock',
    nodeIP: '127.0.0.1',
    kubeletApi: loopbackKubeletApi(plane.ca.certPath),
    nodeStatusIntervalMs: 2_000,
    shutdownGraceMs: 5_000,
    ...extra,
  };
}

const getLease = (name: string) =>
  admin.requestJson<V1Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`);

describe('VirtualKubelet as one supervised group', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('tells the provider the port it really listens on when asked for port 0', async () => {
    let daemonPort: number | undefined;
    const agent = await VirtualKubelet.create(
      await agentOptions('vk-daemon-port', {
        provider: async context => {
          daemonPort = context.daemonPort;
          return new MockProvider({ nodeName: context.nodeName, internalIP: '127.0.0.1' });
        },
      }),
    );
    try {
      expect(daemonPort).toBeGreaterThan(0);
      expect(daemonPort).toBe(agent.kubeletPort);
    } finally {
      await agent.shutdown();
    }
    expect(await accepts(daemonPort!)).toBe(false);
  });

  it('writes the events a provider reports through context.events, also those it reports while closing', async () => {
    const nodeName = 'vk-provider-events';
    let provider: MockProvider | undefined;
    let events: ProviderContext['events'] | undefined;
    const agent = await VirtualKubelet.create(
      await agentOptions(nodeName, {
        provider: async context => {
          events = context.events;
          provider = new MockProvider({ nodeName, internalIP: '127.0.0.1' });
          return provider;
        },
      }),
    );
    const done = agent.run();
    await agent.whenReady();
    const created = await admin.requestJson<V1Pod>('POST', '/api/v1/namespaces/default/pods', {
      body: pod('reported', nodeName),
    });
    events!.event(created, 'Warning', 'BackendSaysSo', 'the backend reports something about this pod');
    const close = provider!.close.bind(provider);
    provider!.close = async () => {
      events!.event(created, 'Normal', 'BackendClosing', 'reported while the provider closes');
      await close();
    };
    await agent.shutdown();
    await done;
    const list = await admin.requestJson<{
      items: Array<{ reason: string; note: string; regarding: { name: string; uid: string } }>;
    }>('GET', '/apis/events.k8s.io/v1/namespaces/default/events');
    const ours = list.items.filter(event => event.regarding.uid === created.metadata?.uid);
    expect(ours.map(event => [event.reason, event.note])).toEqual(
      expect.arrayContaining([
        ['BackendSaysSo', 'the backend reports something about this pod'],
        ['BackendClosing', 'reported while the provider closes'],
      ]),
    );
    await admin.requestJson('DELETE', '/api/v1/namespaces/default/pods/reported', {
      body: { gracePeriodSeconds: 0 },
    });
  });

  it('a provider factory that throws leaks neither the API client nor the kubelet port', async () => {
    const close = vi.spyOn(KubeClient.prototype, 'close');
    const port = await freePort();
    const options = await agentOptions('vk-factory-throws', {
      provider: async () => {
        throw new Error('bad provider config');
      },
    });
    if (options.kubeletApi) options.kubeletApi.port = port;
    await expect(VirtualKubelet.create(options)).rejects.toThrow('bad provider config');
    expect(close).toHaveBeenCalledTimes(1);
    expect(await accepts(port)).toBe(false);
  });

  it('a busy metrics port fails run(): state FAILED, kubelet port released, no node registered', async () => {
    const busy = createServer();
    await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve));
    const { port: metricsPort } = busy.address() as AddressInfo;
    try {
      const agent = await VirtualKubelet.create(
        await agentOptions('vk-busy-metrics', { metricsAddress: { host: '127.0.0.1', port: metricsPort } }),
      );
      const kubeletPort = agent.kubeletPort!;
      await expect(agent.run()).rejects.toThrow(`metrics server cannot listen on 127.0.0.1:${metricsPort}`);
      await expect(agent.whenReady()).rejects.toThrow('metrics server');
      expect(agent.state).toBe('FAILED');
      expect(await accepts(kubeletPort)).toBe(false);
      await expect(admin.requestJson('GET', '/api/v1/nodes/vk-busy-metrics')).rejects.toThrow(/404/);
    } finally {
      busy.close();
    }
  });

  it('the start-up timeout stops every part, even a provider call that never returns', async () => {
    const provider = new MockProvider({ nodeName: 'vk-startup-timeout', internalIP: '127.0.0.1' });
    provider.configureNode = () => new Promise<void>(() => {}) as unknown as void;
    const agent = await VirtualKubelet.create(
      await agentOptions('vk-startup-timeout', { provider, startupTimeoutMs: 1_000 }),
    );
    const started = Date.now();
    await expect(agent.run()).rejects.toThrow('not ready within the startup timeout of 1000 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(agent.state).toBe('FAILED');
    expect(await accepts(agent.kubeletPort!)).toBe(false);
  });

  it('a part failing after start-up stops the others: the lease is no longer renewed', async () => {
    const provider: Provider = new MockProvider({ nodeName: 'vk-part-fails', internalIP: '127.0.0.1' });
    // The pod controller fails once its start-up inventory is done, two seconds in: by then the
    // lease loop has created and renewed the lease.
    const list = provider.getPods.bind(provider);
    provider.getPods = async options => {
      await new Promise(resolve => setTimeout(resolve, 2_000));
      return list(options);
    };
    provider.notifyPods = () => {
      throw new Error('the notifier broke');
    };
    const agent = await VirtualKubelet.create(
      await agentOptions('vk-part-fails', { provider, leaseDurationSeconds: 4 }),
    );
    await expect(agent.run()).rejects.toThrow('pod controller: the notifier broke');
    expect(agent.state).toBe('FAILED');
    expect(await accepts(agent.kubeletPort!)).toBe(false);
    const renewed = (await getLease('vk-part-fails')).spec?.renewTime;
    // Renewed every second while it ran (a quarter of 4 s): three seconds without renewal show it stopped.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    expect((await getLease('vk-part-fails')).spec?.renewTime).toEqual(renewed);
  });

  it('shutdown with a running pod ends within the grace period, leaving the pod in the provider', async () => {
    const backend = new MockBackend();
    const provider = new MockProvider({ backend, nodeName: 'vk-grace', internalIP: '127.0.0.1' });
    // A provider whose close() hangs must not hold the shutdown past the grace period.
    provider.close = () => new Promise<void>(() => {});
    const agent = await VirtualKubelet.create(
      await agentOptions('vk-grace', { provider, shutdownGraceMs: 2_000 }),
    );
    const done = agent.run();
    await agent.whenReady();
    await admin.requestJson('POST', '/api/v1/namespaces/default/pods', { body: pod('graceful', 'vk-grace') });
    await eventually(async () => (backend.list().length === 1 ? true : undefined));
    const started = Date.now();
    await agent.shutdown();
    await done;
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(agent.state).toBe('STOPPED');
    expect(backend.list()).toHaveLength(1);
    expect(await accepts(agent.kubeletPort!)).toBe(false);
  });
});
