// Two agents for one node with leader election, against a real control plane: one works, the other
// stands by; a holder cut off from the API server stops writing and the standby takes over; a
// holder that shuts down hands the lease over at once. Plus what RBAC and NodeRestriction allow.
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import type { V1Lease, V1Node, V1Pod } from '@kubernetes/client-node';
import { MockBackend, MockProvider } from '@vkubelet/provider-kit/mock';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { VirtualKubeletOptions } from '../../../src/agent/options.js';
import { VirtualKubelet } from '../../../src/agent/virtual-kubelet.js';
import { KubeClient } from '../../../src/kube/client.js';
import { clusterAccess, loadKubeconfig } from '../../../src/kube/kubeconfig/index.js';
import { LeaderElector } from '../../../src/leader/leader-elector.js';
import { clientFrom, eventually, loopbackKubeletApi } from '../support.js';

const TIMINGS = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 1_000 };
const NODE = 'vk-ha';

let plane: ControlPlane;
let admin: KubeClient;
const proxies: PartitionableProxy[] = [];

beforeAll(async () => {
  plane = await startControlPlane({ name: 'leader-election', scheduler: false, controllerManager: false });
  admin = clientFrom(plane.adminKubeconfigPath);
});

afterAll(async () => {
  for (const proxy of proxies) proxy.close();
  await admin?.close();
  await plane?.stop();
});

/** A TCP proxy to the API server (TLS passes through) that can cut its agent off, as a partition would. */
class PartitionableProxy {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  readonly server: Server;

  constructor(target: URL) {
    this.server = createServer(client => {
      this.sockets.add(client);
      client.once('close', () => this.sockets.delete(client));
      if (this.cut) return; // accepted, never answered
      const upstream = connect(Number(target.port), target.hostname);
      this.sockets.add(upstream);
      upstream.once('close', () => this.sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Nothing gets through any more, either way; connections stay open and silent. */
  partition(): void {
    this.cut = true;
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

/** The node identity's kubeconfig, pointed at a proxy of its own. */
async function accessThroughProxy(): Promise<{
  access: ReturnType<typeof clusterAccess>;
  proxy: PartitionableProxy;
}> {
  const kubeconfig = JSON.parse(readFileSync(await plane.nodeKubeconfig(NODE), 'utf8')) as {
    users: { user: Record<string, string> }[];
  };
  const user = kubeconfig.users[0]!.user;
  const proxy = new PartitionableProxy(new URL(plane.server));
  proxies.push(proxy);
  const port = await proxy.listen();
  const pem = (key: string) => Buffer.from(user[key]!, 'base64').toString('utf8');
  const access = clusterAccess({
    server: `https://127.0.0.1:${port}`,
    caPem: readFileSync(plane.caCertPath, 'utf8'),
    certPem: pem('client-certificate-data'),
    keyPem: pem('client-key-data'),
  });
  return { access, proxy };
}

/** A mock provider on the shared backend that counts creates by pod UID. */
function countingProvider(backend: MockBackend, creates: Map<string, number>): MockProvider {
  const provider = new MockProvider({ backend, nodeName: NODE, internalIP: '127.0.0.1' });
  const create = provider.createPod.bind(provider);
  provider.createPod = async (pod, options) => {
    const uid = pod.metadata?.uid ?? '';
    if (!backend.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '')) {
      creates.set(uid, (creates.get(uid) ?? 0) + 1);
    }
    return create(pod, options);
  };
  return provider;
}

interface Running {
  agent: VirtualKubelet;
  done: Promise<void>;
  proxy: PartitionableProxy;
  identity: string;
}

async function startAgent(
  identity: string,
  provider: MockProvider,
  extra: Partial<VirtualKubeletOptions> = {},
): Promise<Running> {
  const { access, proxy } = await accessThroughProxy();
  const agent = await VirtualKubelet.create({
    nodeName: NODE,
    kubeConfig: access,
    provider,
    providerName: 'mock',
    nodeIP: '127.0.0.1',
    kubeletApi: loopbackKubeletApi(plane.ca.certPath),
    nodeStatusIntervalMs: 1_000,
    shutdownGraceMs: 3_000,
    leaderElection: { identity, ...TIMINGS },
    ...extra,
  });
  const done = agent.run();
  done.catch(() => {});
  return { agent, done, proxy, identity };
}

const getLease = () =>
  admin.requestJson<V1Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`);
const getNode = () => admin.requestJson<V1Node>('GET', `/api/v1/nodes/${NODE}`);
const heartbeat = (node: V1Node) =>
  new Date(node.status?.conditions?.find(c => c.type === 'Ready')?.lastHeartbeatTime ?? 0).getTime();

function pod(name: string): V1Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'main', image: 'busybox' }],
    },
  };
}

async function runningPod(name: string): Promise<V1Pod> {
  return eventually(async () => {
    const p = await admin.requestJson<V1Pod>('GET', `/api/v1/namespaces/default/pods/${name}`);
    return p.status?.phase === 'Running' ? p : undefined;
  });
}

/** The kubelet API's answer to an unauthenticated request: 503 while the agent stands by. */
async function kubeletApiStatus(port: number): Promise<number> {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const response = await request(`https://127.0.0.1:${port}/pods`, { dispatcher });
    await response.body.dump();
    return response.statusCode;
  } finally {
    await dispatcher.close();
  }
}

describe('leader election between two agents for one node', () => {
  it('one works, the other stands by; a partitioned holder stops writing and the standby takes over', async () => {
    const backend = new MockBackend();
    const creates = new Map<string, number>();
    const one = await startAgent('agent-one', countingProvider(backend, creates));
    await one.agent.whenReady();
    const two = await startAgent('agent-two', countingProvider(backend, creates));
    await eventually(async () => (two.agent.state === 'STANDBY' ? true : undefined));
    expect((await getLease()).spec?.holderIdentity).toBe('agent-one');
    expect(await kubeletApiStatus(two.agent.kubeletPort!)).toBe(503);
    expect((await getNode()).status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(one.agent.kubeletPort);

    await admin.requestJson('POST', '/api/v1/namespaces/default/pods', { body: pod('before') });
    await runningPod('before');

    const cut = Date.now();
    one.proxy.partition();
    // The holder stops (its fence closes, every part is told to stop) at its renew deadline.
    await eventually(async () => (one.agent.state === 'FAILED' ? true : undefined));
    expect(Date.now() - cut).toBeLessThan(TIMINGS.renewDeadlineMs + 1_000);
    await expect(one.done).rejects.toThrow(/leader election: lost the leader lease/);
    await two.agent.whenReady();
    const tookOver = Date.now();
    expect(tookOver - cut).toBeLessThan(TIMINGS.leaseDurationMs + TIMINGS.retryPeriodMs * 3 + 3_000);
    expect((await getLease()).spec).toMatchObject({ holderIdentity: 'agent-two', leaseTransitions: 1 });

    // The node lives on: the new holder's heartbeat, address and port.
    const node = await eventually(async () => {
      const n = await getNode();
      return heartbeat(n) >= tookOver - 1_000 ? n : undefined;
    });
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(two.agent.kubeletPort);
    await admin.requestJson('POST', '/api/v1/namespaces/default/pods', { body: pod('after') });
    const before = await runningPod('before');
    await runningPod('after');
    // The pod of the first holder was adopted, not created a second time.
    expect(creates.get(before.metadata!.uid!)).toBe(1);
    expect([...creates.values()].every(count => count === 1)).toBe(true);

    // A holder shutting down hands the lease over at once rather than letting it expire.
    const three = await startAgent('agent-three', countingProvider(backend, creates));
    await eventually(async () => (three.agent.state === 'STANDBY' ? true : undefined));
    const released = Date.now();
    await two.agent.shutdown();
    await two.done;
    await three.agent.whenReady();
    expect(Date.now() - released).toBeLessThan(TIMINGS.leaseDurationMs);
    expect((await getLease()).spec?.holderIdentity).toBe('agent-three');
    await three.agent.shutdown();
    await three.done;
  });

  it('NodeRestriction keeps a node identity to its node Lease, RBAC or not; another identity needs a Role', async () => {
    // Grant the node every lease verb in "default": NodeRestriction still refuses the write.
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'vkubelet-leader-election', namespace: 'default' },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ],
    };
    await admin.requestJson('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', {
      body: role,
    });
    const binding = (name: string, subject: object) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'vkubelet-leader-election' },
      subjects: [subject],
    });
    const bindings = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings';
    await admin.requestJson('POST', bindings, {
      body: binding('node', {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'User',
        name: `system:node:${NODE}`,
      }),
    });
    const agent = await VirtualKubelet.create({
      nodeName: NODE,
      kubeConfig: loadKubeconfig(await plane.nodeKubeconfig(NODE)),
      provider: new MockProvider({ nodeName: NODE }),
      providerName: 'mock',
      kubeletApi: false,
      leaderElection: { leaseNamespace: 'default', leaseName: `${NODE}-leader`, ...TIMINGS },
    });
    await expect(agent.run()).rejects.toThrow(
      /may not use the leader Lease default\/vk-ha-leader: .*can only access leases in the "kube-node-lease" system namespace/,
    );

    // An identity that NodeRestriction does not restrict gets the Lease with that Role.
    await admin.requestJson('POST', bindings, {
      body: binding('operator', { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'vk-operator' }),
    });
    const client = KubeClient.create({
      kubeConfig: loadKubeconfig(await plane.userKubeconfig('vk-operator')),
    });
    const elector = new LeaderElector({
      client,
      namespace: 'default',
      name: `${NODE}-leader`,
      identity: 'op',
      ...TIMINGS,
    });
    await elector.acquire(AbortSignal.timeout(20_000));
    expect(elector.isLeader).toBe(true);
    await client.close();
  });
});
