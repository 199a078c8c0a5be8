import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { MockBackend, MockProvider } from '@vkubelet/provider-kit/mock';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualKubelet } from '../../../src/agent/virtual-kubelet.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { clientFrom, eventually, kubeConfigFrom } from '../support.js';

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
  const agent = await VirtualKubelet.create({
    nodeName,
    kubeConfig: kubeConfigFrom(await plane.nodeKubeconfig(nodeName)),
    provider,
    providerName: 'mock',
    nodeIP: '127.0.0.1',
    kubeletApi: {
      host: '127.0.0.1',
      port: 0,
      tls: { selfSigned: true },
      auth: { clientCaFile: plane.ca.certPath },
    },
    nodeStatusIntervalMs: 2_000,
  });
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
