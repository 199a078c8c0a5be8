// Informer against a real kube-apiserver: node identity with a field selector, a long-lived watch,
// an API server restart, and relists forced by etcd compaction.
import type { V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { Informer } from '../../../src/cache/informer.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { adminFor, clientFor, countingMeter, podSpec, type AdminClient } from './helpers.js';

const NODE = 'vk-informer';

describe('Informer against a real API server', () => {
  let cp: ControlPlane;
  let admin: AdminClient;
  let node: KubeClient;

  beforeAll(async () => {
    cp = await startControlPlane({ name: 'core-informer', scheduler: false, controllerManager: false });
    admin = adminFor(cp.adminKubeconfigPath);
    node = clientFor(await cp.nodeKubeconfig(NODE));
  }, 120_000);
  afterAll(async () => {
    await node?.close();
    await admin?.close();
    await cp?.stop();
  }, 60_000);

  function podInformer(metrics = countingMeter()) {
    const seen: string[] = [];
    const informer = new Informer<V1Pod>({
      client: node,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${NODE}`,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      metrics: metrics.meter,
      name: 'pods',
      handlers: {
        onAdd: p => seen.push(`add ${p.metadata?.name}`),
        onUpdate: (_o, p) => seen.push(`update ${p.metadata?.name}`),
        onDelete: p => seen.push(`delete ${p.metadata?.name}`),
      },
    });
    return { informer, seen, metrics };
  }

  it(
    'delivers events for pods bound to the node, as the node, and none for other nodes',
    { timeout: 60_000 },
    async () => {
      await admin.core.createNamespacedPod({ namespace: 'default', body: podSpec('before', NODE) });
      const { informer, seen } = podInformer();
      informer.start();
      try {
        await informer.waitForSync(AbortSignal.timeout(20_000));
        expect(informer.get('default/before')).toBeDefined();
        expect(informer.get('default/before')?.metadata?.managedFields).toBeUndefined();
        await admin.core.createNamespacedPod({
          namespace: 'default',
          body: podSpec('other', 'some-other-node'),
        });
        await admin.core.createNamespacedPod({ namespace: 'default', body: podSpec('mine', NODE) });
        await admin.core.patchNamespacedPod({
          namespace: 'default',
          name: 'mine',
          body: [{ op: 'add', path: '/metadata/labels', value: { touched: 'yes' } }],
        });
        await admin.core.deleteNamespacedPod({ namespace: 'default', name: 'before', gracePeriodSeconds: 0 });
        // Deleting a pod on a node first sets its deletionTimestamp (an update), then removes it.
        await vi.waitFor(() => expect(seen.at(-1)).toBe('delete before'), { timeout: 10_000 });
        expect(seen.slice(0, 3)).toEqual(['add before', 'add mine', 'update mine']);
        expect(seen.filter(e => e.endsWith('other'))).toEqual([]);
        expect(informer.get('default/other')).toBeUndefined();
        expect(informer.list().map(p => p.metadata?.name)).toEqual(['mine']);
      } finally {
        await informer.stop();
      }
    },
  );

  it('keeps one watch open and healthy for more than 35 s', { timeout: 90_000 }, async () => {
    const { informer, seen, metrics } = podInformer();
    informer.start();
    try {
      await informer.waitForSync(AbortSignal.timeout(20_000));
      await new Promise(resolve => setTimeout(resolve, 36_000));
      await admin.core.createNamespacedPod({ namespace: 'default', body: podSpec('after-36s', NODE) });
      await vi.waitFor(() => expect(seen).toContain('add after-36s'), { timeout: 5000 });
      expect(metrics.count('vkubelet_informer_failures_total', { informer: 'pods' })).toBe(0);
      expect(metrics.count('vkubelet_informer_watch_stalls_total', { informer: 'pods' })).toBe(0);
      expect(metrics.count('vkubelet_informer_lists_total', { informer: 'pods', reason: 'relist' })).toBe(0);
    } finally {
      await informer.stop();
    }
  });

  it(
    'reconnects after an API server restart without losing changes made around it',
    { timeout: 120_000 },
    async () => {
      await admin.core.createNamespacedPod({ namespace: 'default', body: podSpec('survivor', NODE) });
      await admin.core.createNamespacedPod({ namespace: 'default', body: podSpec('doomed', NODE) });
      const { informer, metrics } = podInformer();
      informer.start();
      try {
        await informer.waitForSync(AbortSignal.timeout(20_000));
        await vi.waitFor(() => expect(informer.get('default/doomed')).toBeDefined(), { timeout: 5000 });
        await cp.restartApiServer();
        await admin.core.deleteNamespacedPod({ namespace: 'default', name: 'doomed', gracePeriodSeconds: 0 });
        await admin.core.createNamespacedPod({ namespace: 'default', body: podSpec('newcomer', NODE) });
        await admin.core.patchNamespacedPod({
          namespace: 'default',
          name: 'survivor',
          body: [{ op: 'add', path: '/metadata/labels', value: { after: 'restart' } }],
        });
        await vi.waitFor(
          () => {
            expect(informer.get('default/doomed')).toBeUndefined();
            expect(informer.get('default/newcomer')).toBeDefined();
            expect(informer.get('default/survivor')?.metadata?.labels).toEqual({ after: 'restart' });
          },
          { timeout: 30_000, interval: 200 },
        );
        expect(metrics.count('vkubelet_informer_failures_total', { informer: 'pods' })).toBeGreaterThan(0);
      } finally {
        await informer.stop();
      }
    },
  );
});

describe('Informer relists when its resourceVersion is compacted away', () => {
  let cp: ControlPlane;
  let admin: AdminClient;

  beforeAll(async () => {
    // Without the watch cache, watches are served by etcd, which answers 410 for compacted revisions.
    cp = await startControlPlane({
      name: 'core-informer-compaction',
      scheduler: false,
      controllerManager: false,
      apiServerFlags: ['--watch-cache=false', '--etcd-compaction-interval=1s'],
    });
    admin = adminFor(cp.adminKubeconfigPath);
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await cp?.stop();
  }, 60_000);

  it('relists on 410 and keeps the cache right', { timeout: 90_000 }, async () => {
    await admin.core.createNamespace({ body: { metadata: { name: 'quiet' } } });
    await admin.core.createNamespacedConfigMap({ namespace: 'quiet', body: { metadata: { name: 'one' } } });
    const metrics = countingMeter();
    const informer = new Informer<{ metadata?: { name?: string } }>({
      client: admin.client,
      path: '/api/v1/configmaps',
      namespace: 'quiet',
      // Each watch ends after 1-2 s and is reopened from the last resourceVersion it saw, which
      // nothing in this namespace advances while etcd compacts the revisions written elsewhere.
      watchTimeoutSeconds: 1,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      metrics: metrics.meter,
      name: 'configmaps',
    });
    informer.start();
    try {
      await informer.waitForSync(AbortSignal.timeout(20_000));
      const churn = setInterval(() => {
        void admin.core
          .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'churn-' } } })
          .catch(() => undefined);
      }, 100);
      try {
        await vi.waitFor(
          () =>
            expect(
              metrics.count('vkubelet_informer_lists_total', { informer: 'configmaps', reason: 'relist' }),
            ).toBeGreaterThan(0),
          { timeout: 60_000, interval: 250 },
        );
      } finally {
        clearInterval(churn);
      }
      await admin.core.createNamespacedConfigMap({ namespace: 'quiet', body: { metadata: { name: 'two' } } });
      await vi.waitFor(() => expect(informer.get('quiet/two')).toBeDefined(), { timeout: 10_000 });
      expect(
        informer
          .list()
          .map(c => c.metadata?.name)
          .sort(),
      ).toEqual(['one', 'two']);
    } finally {
      await informer.stop();
    }
  });
});
