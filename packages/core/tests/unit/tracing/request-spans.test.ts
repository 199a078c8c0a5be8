import { SpanKind } from '@opentelemetry/api';
import { inSpan, noopLogger, providerKitTracer, type LogItem, type Provider } from '@vkubelet/provider-kit';
import { recordSpans, type SpanRecorder } from '@vkubelet/provider-kit/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { KubeletServer } from '../../../src/http/server.js';
import { KubeClient } from '../../../src/kube/client.js';
import { get } from '../http/helpers.js';
import { FakeApiServer, sendJson } from '../kube/fake-api-server.js';

let recorder: SpanRecorder;
beforeAll(async () => (recorder = await recordSpans()));
afterAll(() => recorder.stop());
beforeEach(() => recorder.reset());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const named = (name: string) => recorder.spans().filter(span => span.name === name);

describe('API requests made within a trace', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = KubeClient.create({ kubeConfig: server.kubeConfig() });
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it('are client spans whose traceparent lets the API server continue the trace', async () => {
    server.route = (_req, res) => sendJson(res, 200, {});
    await inSpan(providerKitTracer, 'sync pod status', {}, () =>
      client.patch('/api/v1/namespaces/ns/pods/p/status', { status: {} }, 'strategic'),
    );
    const [patch] = named('PATCH pods/status');
    const [parent] = named('sync pod status');
    expect(patch).toMatchObject({
      kind: SpanKind.CLIENT,
      parentSpanId: parent!.spanId,
      attributes: {
        'http.request.method': 'PATCH',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'url.full': `${server.url}/api/v1/namespaces/ns/pods/p/status`,
      },
    });
    expect(server.requests[0]!.headers.traceparent).toBe(`00-${patch!.traceId}-${patch!.spanId}-01`);
  });

  it('mark an error answer by its status code; outside a trace there is neither span nor traceparent', async () => {
    server.route = (_req, res) => sendJson(res, 409, { kind: 'Status', reason: 'Conflict', code: 409 });
    await inSpan(providerKitTracer, 'force delete pod', {}, () =>
      client.requestJson('DELETE', '/api/v1/namespaces/ns/pods/p').catch(() => undefined),
    );
    expect(named('DELETE pods')[0]).toMatchObject({
      status: { code: 2 },
      attributes: { 'error.type': '409', 'http.response.status_code': 409 },
    });
    recorder.reset();
    await client.requestJson('DELETE', '/api/v1/namespaces/ns/pods/p').catch(() => undefined);
    expect(recorder.spans()).toEqual([]);
    expect(server.requests[1]!.headers.traceparent).toBeUndefined();
  });
});

describe('kubelet API requests about a pod', () => {
  const servers: KubeletServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(s => s.close()));
  });

  async function start(provider: Partial<Provider>): Promise<number> {
    const fail = () => Promise.reject(new Error('not used'));
    const server = KubeletServer.create({
      nodeName: 'vk',
      provider: {
        createPod: fail,
        updatePod: fail,
        deletePod: fail,
        getPod: fail,
        getPodStatus: fail,
        getPods: async () => [],
        ...provider,
      },
      listPods: () => [],
      listen: { host: '127.0.0.1', port: 0 },
      tls: { selfSigned: true },
      auth: { anonymous: true },
      logger: noopLogger,
    });
    servers.push(server);
    return (await server.start()).port;
  }

  it("are server spans in the caller's trace, with the route, pod and outcome", async () => {
    const port = await start({
      async getContainerLogs(): Promise<AsyncIterable<LogItem>> {
        await inSpan(providerKitTracer, 'backend GetLogs', {}, async () => undefined);
        return (async function* () {
          yield { time: new Date(), text: 'hello\n' };
        })();
      },
    });
    const reply = await get(port, '/containerLogs/ns/web/app', {
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    });
    expect(reply.status).toBe(200);
    const name = 'GET /containerLogs/{namespace}/{pod}/{container}';
    await vi.waitFor(() => expect(named(name)).toHaveLength(1));
    const [span] = named(name);
    expect(span).toMatchObject({
      kind: SpanKind.SERVER,
      traceId: TRACE_ID,
      parentSpanId: 'b7ad6b7169203331',
      attributes: {
        'http.route': '/containerLogs/{namespace}/{pod}/{container}',
        'http.response.status_code': 200,
        'k8s.namespace.name': 'ns',
        'k8s.pod.name': 'web',
        'k8s.container.name': 'app',
      },
    });
    // The provider's own work is a child of the request.
    expect(named('backend GetLogs')[0]!.parentSpanId).toBe(span!.spanId);
  });

  it('mark a server error, and leave health checks and other routes untraced', async () => {
    const port = await start({ getContainerLogs: () => Promise.reject(new Error('backend down')) });
    expect((await get(port, '/containerLogs/ns/web/app')).status).toBe(500);
    expect((await get(port, '/healthz')).status).toBe(200);
    await vi.waitFor(() => expect(recorder.spans()).toHaveLength(1));
    expect(recorder.spans()[0]).toMatchObject({
      status: { code: 2 },
      attributes: { 'http.response.status_code': 500, 'error.type': '500' },
    });
  });
});
