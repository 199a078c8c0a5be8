import type { V1Pod } from '@kubernetes/client-node';
import { MockProvider } from '@vkubelet/provider-kit/mock';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { startVirtualNode, type VirtualNode } from '../support/virtual-node.js';
import { createHostAddress, type HostAddress } from './host-address.js';

/**
 * `kubectl get --raw /api/v1/nodes/<node>/proxy/...` through the real API server to a running
 * VirtualKubelet (mock provider): what metrics-server and upstream's e2e suite read.
 */
const NODE = 'vk-proxy';
let cp: ControlPlane;
let host: HostAddress;
let node: VirtualNode | undefined;

async function kubectlOk(args: string[]): Promise<string> {
  const result = await cp.kubectl(args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  host = createHostAddress();
  cp = await startControlPlane({ name: 'node-proxy-e2e', scheduler: false });
  node = await startVirtualNode(cp, {
    nodeName: NODE,
    provider: new MockProvider({ nodeName: NODE, internalIP: host.address }),
    address: host.address,
  });
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      nodeName: NODE,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
    },
  };
  // The ServiceAccount admission plugin waits for the default ServiceAccount, created by KCM.
  await vi.waitFor(
    async () => {
      const result = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
      if (result.code !== 0) throw new Error(result.stderr);
    },
    { timeout: 30_000, interval: 500 },
  );
  await vi.waitFor(
    async () => {
      const phase = await kubectlOk(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}']);
      if (phase !== 'Running') throw new Error(`phase ${phase}`);
    },
    { timeout: 30_000, interval: 250 },
  );
}, 180_000);

afterAll(async () => {
  await node?.stop();
  await cp?.stop();
  host?.remove();
});

describe('kubectl get --raw through the node proxy', () => {
  it('serves stats/summary with the pod and its container', async () => {
    const summary = JSON.parse(
      await kubectlOk(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/stats/summary`]),
    ) as {
      node: { nodeName: string };
      pods: { podRef: { name: string; namespace: string }; containers: { name: string }[] }[];
    };
    expect(summary.node.nodeName).toBe(NODE);
    const web = summary.pods.find(p => p.podRef.name === 'web');
    expect(web?.podRef.namespace).toBe('default');
    expect(web?.containers.map(c => c.name)).toEqual(['app']);
  });

  it('serves metrics/resource with the names metrics-server reads', async () => {
    const text = await kubectlOk(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/metrics/resource`]);
    expect(text).toMatch(/^node_cpu_usage_seconds_total [\d.e+]+ \d+$/m);
    expect(text).toMatch(/^node_memory_working_set_bytes [\d.e+]+ \d+$/m);
    expect(text).toMatch(
      /^container_cpu_usage_seconds_total\{container="app",namespace="default",pod="web"\} [\d.e+]+ \d+$/m,
    );
    expect(text).toMatch(/^pod_memory_working_set_bytes\{namespace="default",pod="web"\} [\d.e+]+ \d+$/m);
  });

  it('lists the node pods on /pods and what the provider runs on /runningpods/', async () => {
    const pods = JSON.parse(await kubectlOk(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/pods`])) as {
      items: V1Pod[];
    };
    expect(pods.items.map(p => p.metadata?.name)).toContain('web');
    const running = JSON.parse(
      await kubectlOk(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/runningpods/`]),
    ) as {
      items: V1Pod[];
    };
    expect(running.items.map(p => p.metadata?.name)).toContain('web');
  });
});
