import type { V1Pod } from '@kubernetes/client-node';
import type { MetricLabels, MetricMeter } from '@vkubelet/provider-kit';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorMessage } from '@vkubelet/provider-kit';

import {
  KubeApiError,
  KubeClient,
  isKubeAlreadyExists,
  isKubeConflict,
  isKubeGone,
  isKubeNotFound,
  type WatchEvent,
} from '../../../src/kube/client.js';
import { clusterAccess, type ClusterAccess } from '../../../src/kube/index.js';
import { FakeApiServer, sendJson, status } from './fake-api-server.js';

const pod = (name: string, rv = '1'): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', resourceVersion: rv },
});

describe('KubeClient', () => {
  let server: FakeApiServer;
  let client: KubeClient;

  beforeEach(async () => {
    server = await FakeApiServer.start();
  });
  afterEach(async () => {
    await client?.close();
    await server.stop();
  });

  it('reaches the server through the kubeconfig proxy-url', async () => {
    // A forward proxy: absolute-form requests for http:// targets (undici tunnels only https ones).
    const proxied: string[] = [];
    const proxy = createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      const upstream = httpRequest(req.url ?? '', { method: req.method, headers: req.headers }, answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      client = KubeClient.create({
        kubeConfig: clusterAccess({ server: server.url, bearerToken: 't', proxyUrl }),
      });
      server.route = (_req, res) => sendJson(res, 200, { via: 'proxy' });
      expect(await client.requestJson('GET', '/api/v1/pods')).toEqual({ via: 'proxy' });
      expect(proxied).toEqual([`GET ${server.url}/api/v1/pods`]);
    } finally {
      await client.close();
      proxy.closeAllConnections();
      await new Promise<void>(resolve => proxy.close(() => resolve()));
    }
  });

  it('write: sends the body (a patch of the given type), discards the answer and keeps the connection', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (_req, res) => sendJson(res, 200, { kind: 'Pod', spec: { big: 'x'.repeat(200_000) } });
    for (let i = 0; i < 10; i++) {
      await client.write('PATCH', '/api/v1/namespaces/ns/pods/p/status', {
        body: { status: { phase: 'Running' } },
        patchType: 'strategic',
      });
    }
    await client.write('DELETE', '/api/v1/namespaces/ns/pods/p', { body: { gracePeriodSeconds: 0 } });
    expect(server.requests.map(r => r.method)).toEqual([...Array<string>(10).fill('PATCH'), 'DELETE']);
    expect(server.requests[0]?.headers['content-type']).toBe('application/strategic-merge-patch+json');
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ status: { phase: 'Running' } });
    expect(server.requests[10]?.headers['content-type']).toBe('application/json');
    // A discarded answer still frees its connection (undici may open a second one, as above).
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('write: an error answer is a KubeApiError', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (_req, res) => sendJson(res, 409, status(409, 'Conflict', 'precondition failed'));
    const failed = await client.write('DELETE', '/api/v1/namespaces/ns/pods/p').catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(KubeApiError);
    expect(isKubeConflict(failed)).toBe(true);
  });

  it('sends raw JSON requests with the kubeconfig credentials and parses the answer', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig('secret-token') });
    server.route = (req, res) => sendJson(res, 200, { echo: req.url.searchParams.get('limit') });
    const answer = await client.requestJson<{ echo: string }>('GET', '/api/v1/pods', { query: { limit: 5 } });
    expect(answer).toEqual({ echo: '5' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer secret-token');
  });

  it('keeps one connection across requests, DELETEs with a body included', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (_req, res) => sendJson(res, 200, { kind: 'Status', status: 'Success' });
    for (let i = 0; i < 10; i++) {
      await client.requestJson('DELETE', `/api/v1/namespaces/default/pods/p${i}`, {
        body: { preconditions: { uid: `u${i}` } },
      });
      await client.requestJson('GET', '/api/v1/namespaces/default/pods');
    }
    const deletes = server.requests.filter(r => r.method === 'DELETE');
    expect(deletes.map(r => JSON.parse(r.body) as unknown)).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ preconditions: { uid: `u${i}` } })),
    );
    // undici may open a second connection while the first is being released; never one per DELETE.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('turns an error answer into a KubeApiError with code, reason and Status', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (_req, res) => sendJson(res, 404, status(404, 'NotFound', 'pods "x" not found'));
    const err = await client.requestJson('GET', '/api/v1/namespaces/default/pods/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ code: 404, reason: 'NotFound', inStream: false });
    expect((err as KubeApiError).message).toContain('pods "x" not found');
    expect(isKubeNotFound(err)).toBe(true);
    expect(isKubeConflict(err)).toBe(false);
  });

  it('quotes a non-Status error body in the message', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (_req, res) => res.writeHead(502).end('upstream proxy said no');
    const err = await client.requestJson('GET', '/api/v1/pods').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 502, reason: undefined, status: undefined });
    expect(errorMessage(err)).toBe('GET /api/v1/pods: 502: upstream proxy said no');
  });

  it('tells AlreadyExists from Conflict (both 409) by the Status reason', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (req, res) =>
      req.method === 'POST'
        ? sendJson(res, 409, status(409, 'AlreadyExists'))
        : sendJson(res, 409, status(409, 'Conflict'));
    const exists = await client
      .requestJson('POST', '/api/v1/namespaces/default/pods', { body: pod('a') })
      .catch((e: unknown) => e);
    expect(isKubeAlreadyExists(exists)).toBe(true);
    expect(isKubeConflict(exists)).toBe(false);
    const conflict = await client
      .requestJson('PUT', '/api/v1/namespaces/default/pods/a', { body: pod('a') })
      .catch((e: unknown) => e);
    expect(isKubeConflict(conflict)).toBe(true);
    expect(server.requests.every(r => r.headers.authorization === 'Bearer test-token')).toBe(true);
  });

  it('sends patches with the content type of the chosen patch strategy', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    server.route = (req, res) =>
      sendJson(res, 200, { contentType: req.headers['content-type'], body: req.body });
    const path = '/api/v1/namespaces/default/pods/a/status';
    const strategic = await client.patch<{ contentType: string; body: string }>(
      path,
      { status: {} },
      'strategic',
    );
    expect(strategic.contentType).toBe('application/strategic-merge-patch+json');
    expect(JSON.parse(strategic.body)).toEqual({ status: {} });
    const merge = await client.patch<{ contentType: string }>(
      path,
      {},
      'merge',
      new AbortController().signal,
    );
    expect(merge.contentType).toBe('application/merge-patch+json');
    const json = await client.patch<{ contentType: string }>(path, [], 'json', {
      query: { fieldManager: 'vk' },
    });
    expect(json.contentType).toBe('application/json-patch+json');
    expect(server.requests.at(-1)?.url.searchParams.get('fieldManager')).toBe('vk');
  });

  it('throttles every request, plain or patch, through one token bucket', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig(), qps: 20, burst: 2 });
    server.route = (_req, res) => sendJson(res, 200, pod('a'));
    const started = performance.now();
    await Promise.all([
      client.requestJson('GET', '/api/v1/namespaces/default/pods/a'),
      client.requestJson('GET', '/api/v1/namespaces/default/pods/a'),
      client.patch('/api/v1/namespaces/default/pods/a', {}, 'merge'),
      client.patch('/api/v1/namespaces/default/pods/a', {}, 'merge'),
      client.requestJson('GET', '/api/v1/namespaces/default/pods/a'),
      client.patch('/api/v1/namespaces/default/pods/a', {}, 'merge'),
    ]);
    // 2 from the burst, then 4 more at 20/s: at least 4 × 50 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(server.requests).toHaveLength(6);
  });

  it('aborts a call in flight or waiting for a token of the shared bucket', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig(), qps: 0.2, burst: 1 });
    server.route = (_req, res) => setTimeout(() => sendJson(res, 200, pod('a')), 2000);
    const controller = new AbortController();
    const call = client.requestJson('GET', '/api/v1/namespaces/default/pods/a', {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('caller gone')), 100);
    await expect(call).rejects.toThrow('caller gone');
    // The bucket is now empty: a second call waits for a token and is aborted while waiting.
    const waiting = client.patch('/api/v1/namespaces/default/pods/a', {}, 'merge', AbortSignal.timeout(200));
    await expect(waiting).rejects.toThrow(/timeout|aborted/i);
    expect(server.requests).toHaveLength(1);
  });

  it('counts requests by verb, resource and code', async () => {
    const counted: MetricLabels[] = [];
    const meter: MetricMeter = {
      counter: () => ({ add: (_v, labels) => counted.push(labels ?? {}) }),
      gauge: () => ({ set() {} }),
      histogram: () => ({ observe() {} }),
    };
    client = KubeClient.create({ kubeConfig: server.kubeConfig(), metrics: meter });
    server.route = (req, res) =>
      req.method === 'GET' ? sendJson(res, 200, pod('a')) : sendJson(res, 404, status(404, 'NotFound'));
    await client.requestJson('GET', '/api/v1/namespaces/default/pods/a');
    await client.patch('/api/v1/namespaces/default/pods/a/status', {}, 'merge').catch(() => undefined);
    await client.requestJson('GET', '/api/v1/pods');
    expect(counted).toEqual([
      { verb: 'get', resource: 'pods', code: '200' },
      { verb: 'patch', resource: 'pods/status', code: '404' },
      { verb: 'list', resource: 'pods', code: '200' },
    ]);
  });

  describe('watch', () => {
    it('delivers events line by line and resolves when the server ends the stream', async () => {
      client = KubeClient.create({ kubeConfig: server.kubeConfig() });
      server.route = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(JSON.stringify({ type: 'ADDED', object: pod('a') }) + '\n');
        // An event split across two chunks must still arrive whole.
        const line = JSON.stringify({ type: 'MODIFIED', object: pod('a', '2') }) + '\n';
        res.write(line.slice(0, 10));
        setTimeout(() => {
          res.write(line.slice(10));
          res.end(
            JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } }) + '\n',
          );
        }, 20);
      };
      const events: WatchEvent<V1Pod>[] = [];
      await client.watch<V1Pod>(
        '/api/v1/pods',
        { resourceVersion: '1' },
        e => events.push(e),
        AbortSignal.timeout(5000),
      );
      expect(events.map(e => [e.type, e.object.metadata?.resourceVersion])).toEqual([
        ['ADDED', '1'],
        ['MODIFIED', '2'],
        ['BOOKMARK', '3'],
      ]);
      expect(server.requests[0]?.url.searchParams.get('watch')).toBe('true');
      expect(server.requests[0]?.url.searchParams.get('resourceVersion')).toBe('1');
    });

    it('raises an in-stream ERROR event as a KubeApiError marked inStream', async () => {
      client = KubeClient.create({ kubeConfig: server.kubeConfig() });
      server.route = (_req, res) => {
        res.writeHead(200);
        res.write(JSON.stringify({ type: 'ADDED', object: pod('a') }) + '\n');
        res.write(
          JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') }) +
            '\n',
        );
      };
      const events: string[] = [];
      const err = await client
        .watch<V1Pod>('/api/v1/pods', {}, e => events.push(e.type), AbortSignal.timeout(5000))
        .catch((e: unknown) => e);
      expect(events).toEqual(['ADDED']);
      expect(err).toMatchObject({ code: 410, reason: 'Expired', inStream: true });
      expect(isKubeGone(err)).toBe(true);
    });

    it('raises an HTTP error answer as a KubeApiError not marked inStream', async () => {
      client = KubeClient.create({ kubeConfig: server.kubeConfig() });
      server.route = (_req, res) => sendJson(res, 410, status(410, 'Gone'));
      const err = await client
        .watch('/api/v1/pods', {}, () => {}, AbortSignal.timeout(5000))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 410, inStream: false });
      expect(isKubeGone(err)).toBe(true);
    });

    it('rejects on a line that is not a watch event instead of dropping it', async () => {
      client = KubeClient.create({ kubeConfig: server.kubeConfig() });
      server.route = (_req, res) => res.writeHead(200).end('not json\n');
      await expect(client.watch('/api/v1/pods', {}, () => {}, AbortSignal.timeout(5000))).rejects.toThrow(
        /not JSON/,
      );
    });

    it('stops when its signal aborts', async () => {
      client = KubeClient.create({ kubeConfig: server.kubeConfig() });
      server.route = (_req, res) =>
        res.writeHead(200).write(JSON.stringify({ type: 'ADDED', object: pod('a') }) + '\n');
      const controller = new AbortController();
      const watching = client.watch(
        '/api/v1/pods',
        {},
        () => controller.abort(new Error('enough')),
        controller.signal,
      );
      await expect(watching).rejects.toThrow('enough');
    });
  });

  it('rejects a path without a leading slash and a kubeConfig that is not a ClusterAccess', async () => {
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
    await expect(client.requestJson('GET', 'api/v1/pods')).rejects.toThrow(/must start with/);
    const notAccess = { server: server.url } as unknown as ClusterAccess;
    expect(() => KubeClient.create({ kubeConfig: notAccess })).toThrow(/must be a ClusterAccess/);
  });
});
