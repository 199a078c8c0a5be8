import type { ServerResponse } from 'node:http';

import type { V1Pod } from '@kubernetes/client-node';
import type { MetricLabels, MetricMeter } from '@vkubelet/provider-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Informer, type InformerOptions } from '../../../src/cache/informer.js';
import { KubeClient } from '../../../src/kube/client.js';
import { FakeApiServer, sendJson, status, type RecordedRequest } from '../kube/fake-api-server.js';

const pod = (name: string, rv: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, ...extra },
});

const event = (type: string, object: unknown) => JSON.stringify({ type, object }) + '\n';

/** Lists and watches answered in order from scripts the test pushes. */
class ScriptedApi {
  lists: ((req: RecordedRequest, res: ServerResponse) => void)[] = [];
  watches: ((req: RecordedRequest, res: ServerResponse) => void)[] = [];
  readonly listRequests: RecordedRequest[] = [];
  readonly watchRequests: RecordedRequest[] = [];
  readonly open = new Set<ServerResponse>();

  handle = (req: RecordedRequest, res: ServerResponse): void => {
    const isWatch = req.url.searchParams.get('watch') === 'true';
    (isWatch ? this.watchRequests : this.listRequests).push(req);
    const next = (isWatch ? this.watches : this.lists).shift();
    if (next) {
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      next(req, res);
    } else if (isWatch) {
      // Nothing scripted: keep the watch open and quiet with a bookmark now and then.
      res.writeHead(200);
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
    } else sendJson(res, 500, status(500, 'InternalError', 'no list scripted'));
  };
}

function listAnswer(items: V1Pod[], resourceVersion: string, cont?: string) {
  return (_req: RecordedRequest, res: ServerResponse) =>
    sendJson(res, 200, { kind: 'PodList', metadata: { resourceVersion, continue: cont }, items });
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onAdd: (p: V1Pod) => log.push(`add ${p.metadata?.name}@${p.metadata?.resourceVersion}`),
      onUpdate: (o: V1Pod, n: V1Pod) =>
        log.push(`update ${n.metadata?.name}@${o.metadata?.resourceVersion}->${n.metadata?.resourceVersion}`),
      onDelete: (p: V1Pod) => log.push(`delete ${p.metadata?.name}@${p.metadata?.resourceVersion}`),
    },
  };
}

describe('Informer', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  let api: ScriptedApi;
  let informer: Informer<V1Pod> | undefined;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = KubeClient.create({ kubeConfig: server.kubeConfig(), qps: 1000, burst: 1000 });
    api = new ScriptedApi();
    server.route = api.handle;
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await client.close();
    await server.stop();
  });

  const make = (options: Partial<InformerOptions<V1Pod>> = {}) =>
    (informer = new Informer<V1Pod>({
      client,
      path: '/api/v1/pods',
      minBackoffMs: 10,
      maxBackoffMs: 50,
      ...options,
    }));

  it('lists in pages, strips managedFields, then watches from the list resourceVersion with bookmarks', async () => {
    api.lists.push(
      listAnswer([pod('a', '5', { managedFields: [{ manager: 'x' }] })], '0', 'page2'),
      listAnswer([pod('b', '6')], '10'),
    );
    const rec = recorder();
    const inf = make({
      pageSize: 1,
      fieldSelector: 'spec.nodeName=n1',
      handlers: rec.handlers,
      namespace: 'ns',
    });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(5000));
    expect(inf.hasSynced).toBe(true);
    expect(rec.log).toEqual(['add a@5', 'add b@6']);
    expect(inf.get('ns/a')?.metadata?.managedFields).toBeUndefined();
    expect(inf.list()).toHaveLength(2);
    const [first, second] = api.listRequests;
    expect(first?.url.pathname).toBe('/api/v1/namespaces/ns/pods');
    expect(first?.url.searchParams.get('limit')).toBe('1');
    expect(first?.url.searchParams.get('fieldSelector')).toBe('spec.nodeName=n1');
    expect(second?.url.searchParams.get('continue')).toBe('page2');
    await vi.waitFor(() => expect(api.watchRequests).toHaveLength(1));
    const watch = api.watchRequests[0]!.url.searchParams;
    expect(watch.get('resourceVersion')).toBe('10');
    expect(watch.get('allowWatchBookmarks')).toBe('true');
    expect(watch.get('fieldSelector')).toBe('spec.nodeName=n1');
    expect(Number(watch.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
  });

  it('applies watch events to the cache and tells handlers', async () => {
    api.lists.push(listAnswer([pod('a', '1')], '1'));
    api.watches.push((_req, res) => {
      res.writeHead(200);
      res.write(event('ADDED', pod('b', '2')));
      res.write(event('MODIFIED', pod('a', '3')));
      res.write(event('BOOKMARK', { metadata: { resourceVersion: '4' } }));
      res.write(event('DELETED', pod('b', '5')));
      res.end();
    });
    const rec = recorder();
    const inf = make({ handlers: rec.handlers });
    inf.start();
    await vi.waitFor(() => expect(rec.log).toHaveLength(4));
    expect(rec.log).toEqual(['add a@1', 'add b@2', 'update a@1->3', 'delete b@5']);
    expect(inf.list().map(p => p.metadata?.name)).toEqual(['a']);
    // The server ended the watch normally: the next one resumes from the last event, without a list.
    await vi.waitFor(() => expect(api.watchRequests).toHaveLength(2));
    expect(api.watchRequests[1]!.url.searchParams.get('resourceVersion')).toBe('5');
    expect(api.listRequests).toHaveLength(1);
  });

  it('relists on an in-stream 410 and emits deletes and updates for what changed meanwhile', async () => {
    const lists: MetricLabels[] = [];
    const meter: MetricMeter = {
      counter: name => ({
        add: (_v, labels) => {
          if (name === 'vkubelet_informer_lists_total') lists.push(labels ?? {});
        },
      }),
      gauge: () => ({ set() {} }),
      histogram: () => ({ observe() {} }),
    };
    api.lists.push(listAnswer([pod('a', '1'), pod('b', '1'), pod('c', '1')], '1'));
    api.watches.push((_req, res) => {
      res.writeHead(200);
      res.write(event('ERROR', status(410, 'Expired', 'too old resource version: 1 (7)')));
    });
    api.lists.push(listAnswer([pod('a', '1'), pod('b', '8'), pod('d', '9')], '9'));
    const rec = recorder();
    const inf = make({ handlers: rec.handlers, metrics: meter, name: 'pods' });
    inf.start();
    await vi.waitFor(() => expect(api.watchRequests).toHaveLength(2));
    expect(rec.log).toEqual(['add a@1', 'add b@1', 'add c@1', 'update b@1->8', 'add d@9', 'delete c@1']);
    expect(api.watchRequests[1]!.url.searchParams.get('resourceVersion')).toBe('9');
    expect(lists).toEqual([
      { informer: 'pods', reason: 'initial' },
      { informer: 'pods', reason: 'relist' },
    ]);
  });

  it('relists on an HTTP 410 answer to the watch', async () => {
    api.lists.push(listAnswer([pod('a', '1')], '1'));
    api.watches.push((_req, res) => sendJson(res, 410, status(410, 'Gone')));
    api.lists.push(listAnswer([], '2'));
    const rec = recorder();
    make({ handlers: rec.handlers }).start();
    await vi.waitFor(() => expect(rec.log).toEqual(['add a@1', 'delete a@1']));
    expect(api.listRequests).toHaveLength(2);
  });

  it('reconnects from the last resourceVersion after other failures, with backoff, for ever', async () => {
    api.lists.push((_req, res) => sendJson(res, 500, status(500, 'InternalError')));
    api.lists.push(listAnswer([pod('a', '1')], '1'));
    for (let i = 0; i < 4; i++)
      api.watches.push((_req, res) => sendJson(res, 503, status(503, 'ServiceUnavailable')));
    api.watches.push((_req, res) => res.destroy());
    const inf = make();
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(5000));
    await vi.waitFor(() => expect(api.watchRequests).toHaveLength(6), { timeout: 5000 });
    expect(api.listRequests).toHaveLength(2);
    expect(api.watchRequests.every(r => r.url.searchParams.get('resourceVersion') === '1')).toBe(true);
  });

  it('backs off when watches end at once without events instead of reconnecting in a tight loop', async () => {
    api.lists.push(listAnswer([], '1'));
    for (let i = 0; i < 50; i++) api.watches.push((_req, res) => res.writeHead(200).end());
    make({ minBackoffMs: 100, maxBackoffMs: 100 }).start();
    await new Promise(resolve => setTimeout(resolve, 500));
    // 500 ms at one attempt per 50-100 ms: at most ~10 watches, not hundreds.
    expect(api.watchRequests.length).toBeGreaterThan(2);
    expect(api.watchRequests.length).toBeLessThanOrEqual(11);
  });

  it('reopens at once a watch the server ended at once (a busy API server drops slow watchers)', async () => {
    api.lists.push(listAnswer([], '1'));
    api.watches.push((_req, res) => res.writeHead(200).end());
    make({ minBackoffMs: 60_000, maxBackoffMs: 60_000 }).start();
    await vi.waitFor(() => expect(api.watchRequests).toHaveLength(2), { timeout: 2000 });
  });

  it('keeps the previous spec object when an update leaves it unchanged', async () => {
    const withSpec = (rv: string, image: string): V1Pod => ({
      ...pod('a', rv),
      spec: { containers: [{ name: 'c', image }] },
      status: { phase: rv },
    });
    api.lists.push(listAnswer([withSpec('1', 'one')], '1'));
    let send: ((line: string) => void) | undefined;
    api.watches.push((_req, res) => {
      res.writeHead(200);
      send = line => res.write(line);
    });
    const inf = make();
    inf.start();
    await vi.waitFor(() => expect(send).toBeDefined());
    const first = inf.get('ns/a')!;
    send!(event('MODIFIED', withSpec('2', 'one')));
    await vi.waitFor(() => expect(inf.get('ns/a')?.metadata?.resourceVersion).toBe('2'));
    const second = inf.get('ns/a')!;
    expect(second.spec).toBe(first.spec);
    expect(second.status).toEqual({ phase: '2' });
    send!(event('MODIFIED', withSpec('3', 'two')));
    await vi.waitFor(() => expect(inf.get('ns/a')?.metadata?.resourceVersion).toBe('3'));
    expect(inf.get('ns/a')!.spec).not.toBe(first.spec);
    expect(inf.get('ns/a')!.spec?.containers[0]?.image).toBe('two');
  });

  it('reopens a watch that receives nothing for stallTimeoutMs', async () => {
    api.lists.push(listAnswer([pod('a', '1')], '1'));
    api.watches.push((_req, res) => {
      res.writeHead(200);
      res.write(event('MODIFIED', pod('a', '2')));
      // …then silence, with the connection left open.
    });
    const rec = recorder();
    make({ handlers: rec.handlers, stallTimeoutMs: 300 }).start();
    await vi.waitFor(() => expect(api.watchRequests).toHaveLength(2), { timeout: 5000 });
    expect(api.watchRequests[1]!.url.searchParams.get('resourceVersion')).toBe('2');
    expect(api.listRequests).toHaveLength(1);
    expect(rec.log).toEqual(['add a@1', 'update a@1->2']);
  });

  it('starts over with one unpaged list when the continue token expires', async () => {
    api.lists.push(
      listAnswer([pod('a', '1')], '1', 'tok'),
      (_req, res) => sendJson(res, 410, status(410, 'Expired', 'continue token expired')),
      listAnswer([pod('a', '1'), pod('b', '3')], '3'),
    );
    const inf = make({ pageSize: 1 });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(5000));
    expect(inf.list().map(p => p.metadata?.name)).toEqual(['a', 'b']);
    expect(api.listRequests[2]!.url.searchParams.has('limit')).toBe(false);
    expect(api.listRequests[2]!.url.searchParams.has('continue')).toBe(false);
  });

  it('replays cached objects to handlers added after sync, and survives a throwing handler', async () => {
    api.lists.push(listAnswer([pod('a', '1')], '1'));
    api.watches.push((_req, res) => {
      res.writeHead(200);
      res.write(event('ADDED', pod('b', '2')));
    });
    const inf = make({
      handlers: {
        onAdd: () => {
          throw new Error('handler bug');
        },
      },
    });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(5000));
    const rec = recorder();
    inf.addHandlers(rec.handlers);
    await vi.waitFor(() => expect(rec.log).toEqual(['add a@1', 'add b@2']));
  });

  it('stop() ends an open watch; waitForSync rejects when its signal aborts first', async () => {
    const inf = make();
    api.lists.push((_req, res) => setTimeout(() => listAnswer([], '1')(_req, res), 200));
    const early = new AbortController();
    const waiting = inf.waitForSync(early.signal);
    early.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(5000));
    await vi.waitFor(() => expect(api.open.size).toBe(1));
    await inf.stop();
    await vi.waitFor(() => expect(api.open.size).toBe(0));
    expect(() => inf.start()).not.toThrow();
  });
});
