// ScopedResourceCache as the node identity (system:node:<name>) against a real kube-apiserver with
// the Node authorizer: referenced objects are readable and watched, others are forbidden.
import type { V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ScopedResourceCache } from '../../../src/cache/scoped-resource-cache.js';
import { KubeClient, isKubeForbidden } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig/index.js';
import { adminFor, countingMeter, podSpec, type AdminClient } from './helpers.js';

const NODE = 'vk-scoped';
const text = (data: Record<string, string> | undefined, key: string) =>
  data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString();

describe('ScopedResourceCache with the node identity', () => {
  let cp: ControlPlane;
  let admin: AdminClient;
  let node: KubeClient;
  const requests = countingMeter();

  beforeAll(async () => {
    cp = await startControlPlane({ name: 'core-scoped-cache', scheduler: false, controllerManager: false });
    admin = adminFor(cp.adminKubeconfigPath);
    node = KubeClient.create({
      kubeConfig: loadKubeconfig(await cp.nodeKubeconfig(NODE)),
      metrics: requests.meter,
    });
  }, 120_000);
  afterAll(async () => {
    await node?.close();
    await admin?.close();
    await cp?.stop();
  }, 60_000);

  it(
    'reads and watches what a bound pod refers to, and is refused the rest',
    { timeout: 60_000 },
    async () => {
      const ns = 'default';
      await admin.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'referenced' }, stringData: { password: 'v1' } },
      });
      await admin.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'unreferenced' }, stringData: { password: 'nope' } },
      });
      await admin.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'settings' }, data: { mode: 'a' } },
      });
      await admin.core.createNamespacedService({
        namespace: ns,
        body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
      });
      const pod: V1Pod = await admin.core.createNamespacedPod({
        namespace: ns,
        body: podSpec('consumer', NODE, {
          containers: [
            {
              name: 'c',
              image: 'example.invalid/app:1',
              envFrom: [{ secretRef: { name: 'referenced' } }],
              env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
            },
          ],
        }),
      });

      const cache = new ScopedResourceCache({
        client: node,
        informerDefaults: { minBackoffMs: 200, maxBackoffMs: 1000 },
      });
      try {
        cache.trackPod(pod);
        expect(cache.watchCount).toBe(2);
        // Readable at once (a direct GET until the watch has listed).
        expect(text((await cache.getSecret(ns, 'referenced'))?.data, 'password')).toBe('v1');
        expect((await cache.getConfigMap(ns, 'settings'))?.data).toEqual({ mode: 'a' });

        // Once the watch is up, an update arrives without further GETs.
        await vi.waitFor(
          () =>
            expect(
              requests.count('vkubelet_api_requests_total', {
                verb: 'watch',
                resource: 'secrets',
                code: '200',
              }),
            ).toBe(1),
          { timeout: 10_000 },
        );
        const directGets = () =>
          requests.count('vkubelet_api_requests_total', { verb: 'get', resource: 'secrets', code: '200' });
        const getsBefore = directGets();
        await admin.core.patchNamespacedSecret({
          namespace: ns,
          name: 'referenced',
          body: [{ op: 'replace', path: '/data/password', value: Buffer.from('v2').toString('base64') }],
        });
        await vi.waitFor(
          async () => expect(text((await cache.getSecret(ns, 'referenced'))?.data, 'password')).toBe('v2'),
          {
            timeout: 10_000,
          },
        );
        expect(directGets()).toBe(getsBefore);

        // A secret no pod on this node refers to: forbidden, every time (nothing cached).
        const refused = await cache.getSecret(ns, 'unreferenced').catch((e: unknown) => e);
        expect(isKubeForbidden(refused)).toBe(true);
        expect(isKubeForbidden(await cache.getSecret(ns, 'unreferenced').catch((e: unknown) => e))).toBe(
          true,
        );
        expect(
          requests.count('vkubelet_api_requests_total', { verb: 'get', resource: 'secrets', code: '403' }),
        ).toBe(2);
        expect(
          requests.count('vkubelet_api_requests_total', { verb: 'list', resource: 'secrets', code: '403' }),
        ).toBe(0);

        expect((await cache.listServices(ns)).map(s => s.metadata?.name)).toContain('web');

        cache.untrackPod(pod);
        expect(cache.watchCount).toBe(0);
      } finally {
        await cache.stop();
      }
    },
  );
});
