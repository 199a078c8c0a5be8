import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { noopLogger, noopMeter, type Logger, type LogMeta, type NodeProvider } from '@vkubelet/provider-kit';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../../src/kube/client.js';
import { LeaseController } from '../../../src/node/lease-controller.js';
import { NodeController } from '../../../src/node/node-controller.js';
import { buildNodeTemplate } from '../../../src/node/node-template.js';
import { clientFrom, eventually } from '../support.js';

let plane: ControlPlane;
let admin: KubeClient;

beforeAll(async () => {
  plane = await startControlPlane({ name: 'node-controller', scheduler: false, controllerManager: false });
  admin = clientFrom(plane.adminKubeconfigPath);
});

afterAll(async () => {
  await plane?.stop();
});

const getNode = (name: string) => admin.requestJson<V1Node>('GET', `/api/v1/nodes/${name}`);
const getLease = (name: string) =>
  admin.requestJson<V1Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`);
const ready = (node: V1Node) => node.status?.conditions?.find(c => c.type === 'Ready');

interface Agent {
  node: NodeController;
  stop: () => Promise<void>;
}

async function startAgent(
  nodeName: string,
  provider: NodeProvider,
  overrides: {
    taintValue?: string;
    labels?: Record<string, string>;
    kubeconfig?: string;
    logger?: Logger;
  } = {},
): Promise<Agent> {
  const client = clientFrom(overrides.kubeconfig ?? (await plane.nodeKubeconfig(nodeName)));
  const template = buildNodeTemplate({
    nodeName,
    operatingSystem: 'linux',
    internalIP: '127.0.0.1',
    daemonPort: 10250,
    kubeletVersion: 'v1.36.3-vkubelet-test',
    taint: {
      key: 'virtual-kubelet.io/provider',
      value: overrides.taintValue ?? 'mock',
      effect: 'NoSchedule',
    },
    labels: overrides.labels,
  });
  template.status!.capacity = { cpu: '8', memory: '32Gi', pods: '110' };
  template.status!.allocatable = { cpu: '8', memory: '32Gi', pods: '110' };
  const controller = new NodeController({
    client,
    template,
    provider,
    managedTaintKeys: ['virtual-kubelet.io/provider'],
    requestedLabelKeys: Object.keys(overrides.labels ?? {}),
    logger: overrides.logger ?? noopLogger,
    metrics: noopMeter,
    statusIntervalMs: 500,
    pingIntervalMs: 300,
    pingTimeoutMs: 500,
  });
  const abort = new AbortController();
  await controller.register(abort.signal);
  const lease = new LeaseController({
    client,
    nodeName,
    renewIntervalMs: 500,
    nodeUid: () => controller.nodeUid(),
    logger: noopLogger,
    metrics: noopMeter,
  });
  const running = Promise.all([controller.run(abort.signal), lease.run(abort.signal)]);
  return {
    node: controller,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

/** Keeps the warnings it is given. */
function warningLogger(): Logger & { warnings: { message: string; meta?: LogMeta }[] } {
  const warnings: { message: string; meta?: LogMeta }[] = [];
  const logger = {
    warnings,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    error: () => undefined,
    warn: (message: string, meta?: LogMeta) => void warnings.push({ message, meta }),
    child: () => logger,
  };
  return logger;
}

describe('node and lease controllers against a real API server', () => {
  it('warns about a refused kubernetes.io/role label only when the user asked for it', async () => {
    const quiet = warningLogger();
    for (let start = 0; start < 2; start++) {
      // The second start adopts the node and reconciles its labels: the default label is refused again.
      const agent = await startAgent('vk-role', {}, { logger: quiet });
      await agent.stop();
    }
    expect(quiet.warnings).toEqual([]);
    expect((await getNode('vk-role')).metadata?.labels?.['kubernetes.io/role']).toBeUndefined();

    const asked = warningLogger();
    const agent = await startAgent(
      'vk-role-asked',
      {},
      { logger: asked, labels: { 'kubernetes.io/role': 'edge' } },
    );
    await agent.stop();
    expect(asked.warnings).toEqual([
      {
        message: 'the API server refused node labels for this identity; registering without them',
        meta: { labels: ['kubernetes.io/role'] },
      },
    ]);
  });

  it('registers the node with the node identity, turns Ready and renews its lease', async () => {
    const agent = await startAgent('vk-register', {});
    try {
      const node = await eventually(async () => {
        const n = await getNode('vk-register');
        return ready(n)?.status === 'True' ? n : undefined;
      });
      expect(node.metadata?.labels).toMatchObject({
        type: 'virtual-kubelet',
        'kubernetes.io/hostname': 'vk-register',
      });
      expect(node.spec?.taints).toEqual([
        { key: 'virtual-kubelet.io/provider', value: 'mock', effect: 'NoSchedule' },
      ]);
      expect(node.status?.capacity).toMatchObject({ cpu: '8', pods: '110' });
      expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10250);
      expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });

      const first = await eventually(() => getLease('vk-register'));
      expect(first.spec?.holderIdentity).toBe('vk-register');
      expect(first.spec?.leaseDurationSeconds).toBe(40);
      expect(first.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'Node',
        name: 'vk-register',
        uid: node.metadata?.uid,
      });
      const renewed = await eventually(async () => {
        const l = await getLease('vk-register');
        return String(l.spec?.renewTime) !== String(first.spec?.renewTime) ? l : undefined;
      });
      expect(new Date(String(renewed.spec?.renewTime)).getTime()).toBeGreaterThan(
        new Date(String(first.spec?.renewTime)).getTime(),
      );
    } finally {
      await agent.stop();
    }
  });

  it('keeps conditions other writers add', async () => {
    const agent = await startAgent('vk-conditions', {});
    try {
      await admin.patch(
        '/api/v1/nodes/vk-conditions/status',
        {
          status: {
            conditions: [
              { type: 'KernelDeadlock', status: 'False', reason: 'KernelHasNoDeadlock', message: 'npd' },
            ],
          },
        },
        'strategic',
      );
      const before = ready(await getNode('vk-conditions'))!.lastHeartbeatTime;
      const node = await eventually(async () => {
        const n = await getNode('vk-conditions');
        return String(ready(n)?.lastHeartbeatTime) !== String(before) ? n : undefined;
      });
      expect(node.status?.conditions?.map(c => c.type)).toContain('KernelDeadlock');
    } finally {
      await agent.stop();
    }
  });

  it('turns NotReady when the provider ping fails or hangs, while the lease keeps being renewed', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const agent = await startAgent('vk-health', {
      ping: () =>
        mode === 'ok'
          ? Promise.resolve()
          : mode === 'fail'
            ? Promise.reject(new Error('backend down'))
            : new Promise(() => {}),
    });
    try {
      await eventually(async () => (ready(await getNode('vk-health'))?.status === 'True' ? true : undefined));
      mode = 'fail';
      const failing = await eventually(async () => {
        const c = ready(await getNode('vk-health'));
        return c?.status === 'False' ? c : undefined;
      });
      expect(failing.reason).toBe('ProviderUnhealthy');
      expect(failing.message).toContain('backend down');

      mode = 'ok';
      await eventually(async () => (ready(await getNode('vk-health'))?.status === 'True' ? true : undefined));
      mode = 'hang';
      const hung = await eventually(async () => {
        const c = ready(await getNode('vk-health'));
        return c?.status === 'False' ? c : undefined;
      });
      expect(hung.message).toContain('timed out');
      const lease = await getLease('vk-health');
      await eventually(async () =>
        String((await getLease('vk-health')).spec?.renewTime) !== String(lease.spec?.renewTime)
          ? true
          : undefined,
      );
    } finally {
      await agent.stop();
    }
  });

  it('registers the node again after it is deleted, and re-owns the lease', async () => {
    const agent = await startAgent('vk-deleted', {});
    try {
      const original = await eventually(() => getNode('vk-deleted'));
      await admin.requestJson('DELETE', '/api/v1/nodes/vk-deleted');
      const again = await eventually(async () => {
        const n = await getNode('vk-deleted');
        return n.metadata?.uid !== original.metadata?.uid ? n : undefined;
      });
      expect(again.spec?.taints?.[0]?.key).toBe('virtual-kubelet.io/provider');
      await eventually(async () => {
        const l = await getLease('vk-deleted');
        return l.metadata?.ownerReferences?.[0]?.uid === again.metadata?.uid ? true : undefined;
      });
    } finally {
      await agent.stop();
    }
  });

  it('reconciles its labels on restart, and its taints when the identity may change them', async () => {
    const first = await startAgent('vk-restart', {}, { labels: { tier: 'one' } });
    await first.stop();
    await admin.patch(
      '/api/v1/nodes/vk-restart',
      { metadata: { labels: { tier: 'tampered', owner: 'someone' } } },
      'merge',
    );

    // The node identity may fix labels but not taints (NodeRestriction): the taint stays as registered.
    const second = await startAgent('vk-restart', {}, { labels: { tier: 'two' }, taintValue: 'other' });
    let node = await getNode('vk-restart');
    expect(node.metadata?.labels).toMatchObject({ tier: 'two', owner: 'someone' });
    expect(node.spec?.taints?.[0]?.value).toBe('mock');
    await second.stop();

    // An identity allowed to edit taints (as upstream deploys with a ClusterRole) gets them reconciled,
    // keeping taints someone else added.
    await admin.patch(
      '/api/v1/nodes/vk-restart',
      {
        spec: {
          taints: [...(node.spec?.taints ?? []), { key: 'example.com/maintenance', effect: 'NoSchedule' }],
        },
      },
      'merge',
    );
    const third = await startAgent(
      'vk-restart',
      {},
      { taintValue: 'other', kubeconfig: plane.adminKubeconfigPath },
    );
    node = await getNode('vk-restart');
    expect(node.spec?.taints).toEqual(
      expect.arrayContaining([
        { key: 'example.com/maintenance', effect: 'NoSchedule' },
        { key: 'virtual-kubelet.io/provider', value: 'other', effect: 'NoSchedule' },
      ]),
    );
    expect(node.spec?.taints).toHaveLength(2);
    await third.stop();
  });
});
