// One full control plane (etcd, kube-apiserver, kube-scheduler, kube-controller-manager) shared by
// the tests of this file, exercising what vkubelet relies on: node identity, NodeRestriction,
// scheduling, namespace finalization by KCM, and an apiserver restart.
import { CoordinationV1Api, CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedKubernetesVersion, startControlPlane, type ControlPlane } from '../../src/index.js';
import { eventually, statusOf } from './helpers.js';

let cp: ControlPlane;

function clientsFor(kubeconfigPath: string): { core: CoreV1Api; coordination: CoordinationV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return { core: kc.makeApiClient(CoreV1Api), coordination: kc.makeApiClient(CoordinationV1Api) };
}

function nodeObject(name: string, labels: Record<string, string> = {}): V1Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
  };
}

/** Node status as a virtual kubelet reports it: Ready, with capacity, reachable on 127.0.0.1. */
function readyStatus(node: V1Node): V1Node {
  const now = new Date();
  const resources = { cpu: '8', memory: '32Gi', pods: '110' };
  return {
    ...node,
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'ok',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    },
  };
}

beforeAll(async () => {
  cp = await startControlPlane({ name: 'it-control-plane' });
});

afterAll(async () => {
  await cp?.stop();
});

describe('startControlPlane (scheduler + controller-manager)', () => {
  it('is ready, serves the pinned version and has the system namespaces', async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const readyz = await cp.kubectl(['get', '--raw', '/readyz']);
    expect(readyz).toMatchObject({ code: 0, stdout: 'ok' });
    const version = await cp.kubectl(['version', '-o', 'json']);
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe(pinnedKubernetesVersion());
    const { core } = clientsFor(cp.adminKubeconfigPath);
    const names = (await core.listNamespace()).items.map(ns => ns.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']),
    );
  });

  it('lets a node identity create its own Node and Lease', async () => {
    const { core, coordination } = clientsFor(await cp.nodeKubeconfig('vk-own'));
    const created = await core.createNode({ body: nodeObject('vk-own') });
    expect(created.metadata?.name).toBe('vk-own');
    const lease = await coordination.createNamespacedLease({
      namespace: 'kube-node-lease',
      // No renewTime: client-node 2.0.1 serializes Date with millisecond precision, and the apiserver
      // rejects that for MicroTime fields ("cannot parse .841Z as .000000").
      body: { metadata: { name: 'vk-own' }, spec: { holderIdentity: 'vk-own', leaseDurationSeconds: 40 } },
    });
    expect(lease.spec?.holderIdentity).toBe('vk-own');
  });

  it("refuses a node identity another node's Node and Lease (403)", async () => {
    const admin = clientsFor(cp.adminKubeconfigPath);
    await admin.core.createNode({ body: nodeObject('vk-victim') });
    await admin.coordination.createNamespacedLease({
      namespace: 'kube-node-lease',
      body: { metadata: { name: 'vk-victim' }, spec: { holderIdentity: 'vk-victim' } },
    });
    const intruder = clientsFor(await cp.nodeKubeconfig('vk-intruder'));
    expect(await statusOf(intruder.core.createNode({ body: nodeObject('vk-other') }))).toBe(403);
    expect(await statusOf(intruder.core.deleteNode({ name: 'vk-victim' }))).toBe(403);
    expect(
      await statusOf(
        intruder.coordination.createNamespacedLease({
          namespace: 'kube-node-lease',
          body: { metadata: { name: 'vk-other' } },
        }),
      ),
    ).toBe(403);
    const victimLease = await admin.coordination.readNamespacedLease({
      name: 'vk-victim',
      namespace: 'kube-node-lease',
    });
    victimLease.spec = { ...victimLease.spec, holderIdentity: 'vk-intruder' };
    expect(
      await statusOf(
        intruder.coordination.replaceNamespacedLease({
          name: 'vk-victim',
          namespace: 'kube-node-lease',
          body: victimLease,
        }),
      ),
    ).toBe(403);
  });

  it('refuses an ordinary user without RBAC grants (403)', async () => {
    const { core } = clientsFor(await cp.userKubeconfig('jane', ['developers']));
    expect(await statusOf(core.listNamespacedPod({ namespace: 'default' }))).toBe(403);
  });

  it('schedules a pod with a nodeSelector onto the matching Ready node', async () => {
    const node = clientsFor(await cp.nodeKubeconfig('vk-sched'));
    const created = await node.core.createNode({
      body: nodeObject('vk-sched', { 'vkubelet.io/pool': 'virtual' }),
    });
    // TaintNodesByCondition is off (see components.ts), so no not-ready taint is waiting to be lifted.
    expect(created.spec?.taints).toBeUndefined();
    // KCM (ttl controller) annotates new nodes, so a status write based on the created object can hit a
    // conflict: re-read and retry as a kubelet would.
    await eventually('the node status to be written', async () => {
      const latest = await node.core.readNode({ name: 'vk-sched' });
      return node.core.replaceNodeStatus({ name: 'vk-sched', body: readyStatus(latest) });
    });
    const admin = clientsFor(cp.adminKubeconfigPath);
    await admin.core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'scheduled' },
        spec: {
          nodeSelector: { 'vkubelet.io/pool': 'virtual' },
          containers: [
            { name: 'main', image: 'example.invalid/app:1', resources: { requests: { cpu: '100m' } } },
          ],
        },
      },
    });
    const nodeName = await eventually('the pod to be bound', async () => {
      const pod = await admin.core.readNamespacedPod({ name: 'scheduled', namespace: 'default' });
      return pod.spec?.nodeName;
    });
    expect(nodeName).toBe('vk-sched');
  });

  it('finishes terminating a deleted namespace (namespace controller in KCM)', async () => {
    const { core } = clientsFor(cp.adminKubeconfigPath);
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({
      namespace: 'doomed',
      body: { metadata: { name: 'content' }, data: { a: 'b' } },
    });
    await core.deleteNamespace({ name: 'doomed' });
    const gone = await eventually('the namespace to disappear', async () =>
      (await statusOf(core.readNamespace({ name: 'doomed' }))) === 404 ? true : undefined,
    );
    expect(gone).toBe(true);
  });

  it('restarts kube-apiserver on the same address and keeps the data in etcd', async () => {
    const { core } = clientsFor(cp.adminKubeconfigPath);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'survivor' }, data: { k: 'v' } },
    });
    const serverBefore = cp.server;
    await cp.restartApiServer();
    expect(cp.server).toBe(serverBefore);
    const read = await core.readNamespacedConfigMap({ name: 'survivor', namespace: 'default' });
    expect(read.data).toEqual({ k: 'v' });
    expect(cp.logTail('kube-apiserver', 2000).match(/Version: v1\.\d+/g)?.length).toBe(2);
  });

  it('kills kube-apiserver with SIGKILL, pauses etcd and restarts it, keeping the data', async () => {
    const { core } = clientsFor(cp.adminKubeconfigPath);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'chaos-survivor' }, data: { k: 'v' } },
    });
    await cp.restartApiServer({ kill: true, downMs: 200 });
    expect(
      (await core.readNamespacedConfigMap({ name: 'chaos-survivor', namespace: 'default' })).data,
    ).toEqual({
      k: 'v',
    });

    // A paused etcd holds every write; it lands once etcd is thawed.
    cp.pauseEtcd();
    const write = core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'written-while-paused' } },
    });
    let settled = false;
    void write.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise(resolve => setTimeout(resolve, 1_500));
    expect(settled).toBe(false);
    cp.resumeEtcd();
    await write;

    await cp.restartEtcd({ kill: true });
    const names = await eventually('etcd to serve again after its restart', async () =>
      (await core.listNamespacedConfigMap({ namespace: 'default' })).items.map(item => item.metadata?.name),
    );
    expect(names).toEqual(expect.arrayContaining(['chaos-survivor', 'written-while-paused']));
  });

  it('rejects bad node and user names at the boundary', async () => {
    await expect(cp.nodeKubeconfig('Not_A_Node')).rejects.toThrow(/not a valid node name/);
    await expect(cp.userKubeconfig('')).rejects.toThrow(/non-empty/);
  });
});
