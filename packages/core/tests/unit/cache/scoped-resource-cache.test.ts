import type { ServerResponse } from 'node:http';

import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { TransientError } from '@vkubelet/provider-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ScopedResourceCache } from '../../../src/cache/scoped-resource-cache.js';
import { KubeClient, isKubeForbidden } from '../../../src/kube/client.js';
import { FakeApiServer, sendJson, status, type RecordedRequest } from '../kube/fake-api-server.js';

const secret = (name: string, rv: string, value: string): V1Secret => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  data: { v: Buffer.from(value).toString('base64') },
});

const podUsing = (name: string, ...secrets: string[]): V1Pod => ({
  metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', envFrom: secrets.map(s => ({ secretRef: { name: s } })) }] },
});

/** A fake API server holding secrets; watches stay open and get MODIFIED events pushed by tests. */
class SecretsApi {
  readonly secrets = new Map<string, V1Secret>();
  readonly watches = new Map<string, Set<ServerResponse>>();
  forbidden = new Set<string>();
  servicesListed = false;

  handle = (req: RecordedRequest, res: ServerResponse): void => {
    const path = req.url.pathname;
    if (path === '/api/v1/services') {
      if (req.url.searchParams.get('watch') === 'true') return void res.writeHead(200);
      this.servicesListed = true;
      return sendJson(res, 200, {
        metadata: { resourceVersion: '1' },
        items: [
          { metadata: { name: 'kubernetes', namespace: 'default' } },
          { metadata: { name: 'web', namespace: 'ns' } },
        ],
      });
    }
    const single = /^\/api\/v1\/namespaces\/ns\/secrets\/([^/]+)$/.exec(path);
    const collection = path === '/api/v1/namespaces/ns/secrets';
    const name =
      single?.[1] ?? /^metadata\.name=(.+)$/.exec(req.url.searchParams.get('fieldSelector') ?? '')?.[1];
    if ((!single && !collection) || !name)
      return sendJson(res, 400, status(400, 'BadRequest', 'unexpected request'));
    if (this.forbidden.has(name))
      return sendJson(res, 403, status(403, 'Forbidden', `no relationship to ${name}`));
    const current = this.secrets.get(name);
    if (single) return current ? sendJson(res, 200, current) : sendJson(res, 404, status(404, 'NotFound'));
    if (req.url.searchParams.get('watch') !== 'true') {
      return sendJson(res, 200, { metadata: { resourceVersion: '1' }, items: current ? [current] : [] });
    }
    res.writeHead(200);
    const open = this.watches.get(name) ?? new Set();
    open.add(res);
    this.watches.set(name, open);
    res.on('close', () => open.delete(res));
  };

  update(value: V1Secret): void {
    this.secrets.set(value.metadata!.name!, value);
    for (const res of this.watches.get(value.metadata!.name!) ?? []) {
      res.write(JSON.stringify({ type: 'MODIFIED', object: value }) + '\n');
    }
  }

  openWatches(name: string): number {
    return this.watches.get(name)?.size ?? 0;
  }
}

describe('ScopedResourceCache', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  let api: SecretsApi;
  let cache: ScopedResourceCache;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = KubeClient.create({ kubeConfig: server.kubeConfig(), qps: 1000, burst: 1000 });
    api = new SecretsApi();
    server.route = api.handle;
    cache = new ScopedResourceCache({ client, informerDefaults: { minBackoffMs: 10, maxBackoffMs: 50 } });
  });
  afterEach(async () => {
    await cache.stop();
    await client.close();
    await server.stop();
  });

  const decoded = (s: V1Secret | undefined) =>
    s?.data?.['v'] ? Buffer.from(s.data['v'], 'base64').toString() : undefined;

  it('watches each referenced secret by name and serves updates from the watch', async () => {
    api.secrets.set('db', secret('db', '1', 'one'));
    cache.trackPod(podUsing('p', 'db'));
    // The first read does not wait for the watch.
    expect(decoded(await cache.getSecret('ns', 'db'))).toBe('one');
    await vi.waitFor(() => expect(api.openWatches('db')).toBe(1));
    const reads = server.requests.length;
    api.update(secret('db', '2', 'two'));
    await vi.waitFor(async () => expect(decoded(await cache.getSecret('ns', 'db'))).toBe('two'));
    expect(server.requests.slice(reads).filter(r => r.url.pathname.endsWith('/secrets/db'))).toHaveLength(0);
    const list = server.requests.find(r => r.url.pathname === '/api/v1/namespaces/ns/secrets');
    expect(list?.url.searchParams.get('fieldSelector')).toBe('metadata.name=db');
    expect(server.requests.some(r => r.url.pathname === '/api/v1/secrets')).toBe(false);
  });

  it('stops the watch when no tracked pod refers to the secret any more', async () => {
    api.secrets.set('a', secret('a', '1', 'a'));
    api.secrets.set('b', secret('b', '1', 'b'));
    cache.trackPod(podUsing('p1', 'a', 'b'));
    cache.trackPod(podUsing('p2', 'a'));
    await vi.waitFor(() => expect(api.openWatches('a') + api.openWatches('b')).toBe(2));
    expect(cache.watchCount).toBe(2);
    cache.trackPod(podUsing('p1', 'a'));
    await vi.waitFor(() => expect(api.openWatches('b')).toBe(0));
    cache.untrackPod(podUsing('p1'));
    expect(cache.watchCount).toBe(1);
    cache.untrackPod('ns/p2');
    await vi.waitFor(() => expect(api.openWatches('a')).toBe(0));
    expect(cache.watchCount).toBe(0);
  });

  it('caches a NotFound from a direct GET briefly', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await cache.getSecret('ns', 'missing')).toBeUndefined();
      expect(await cache.getSecret('ns', 'missing')).toBeUndefined();
      const gets = () => server.requests.filter(r => r.url.pathname.endsWith('/secrets/missing')).length;
      expect(gets()).toBe(1);
      api.secrets.set('missing', secret('missing', '1', 'here'));
      vi.setSystemTime(Date.now() + 6000);
      expect(decoded(await cache.getSecret('ns', 'missing'))).toBe('here');
      expect(gets()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('throws Forbidden for a secret the node may not read, and caches nothing', async () => {
    api.forbidden.add('private');
    const err = await cache.getSecret('ns', 'private').catch((e: unknown) => e);
    expect(isKubeForbidden(err)).toBe(true);
    await cache.getSecret('ns', 'private').catch(() => undefined);
    expect(server.requests.filter(r => r.url.pathname.endsWith('/secrets/private'))).toHaveLength(2);
    expect(cache.watchCount).toBe(0);
  });

  it('lists services from one cluster-wide informer, filtered by namespace', async () => {
    expect((await cache.listServices('ns')).map(s => s.metadata?.name)).toEqual(['web']);
    expect((await cache.listServices()).map(s => s.metadata?.name).sort()).toEqual(['kubernetes', 'web']);
    expect(
      server.requests.filter(r => r.url.pathname === '/api/v1/services' && !r.url.searchParams.has('watch')),
    ).toHaveLength(1);
  });

  it('gives up waiting for services with a TransientError', async () => {
    server.route = (_req, res) => sendJson(res, 500, status(500, 'InternalError'));
    const impatient = new ScopedResourceCache({ client, servicesSyncTimeoutMs: 100 });
    await expect(impatient.listServices()).rejects.toBeInstanceOf(TransientError);
    await impatient.stop();
  });
});
