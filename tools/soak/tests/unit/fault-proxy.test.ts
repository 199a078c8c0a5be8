import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { createCertificateAuthority } from '@vkubelet/testenv';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FaultProxy } from '../../src/proxy/fault-proxy.js';

let ca: Awaited<ReturnType<typeof createCertificateAuthority>>;
let serving: { certPem: string; keyPem: string };
let client: { certPem: string; keyPem: string };
beforeAll(async () => {
  ca = await createCertificateAuthority('soak-test-ca');
  serving = await ca.issueServingCert('localhost', { ips: ['127.0.0.1'] });
  client = await ca.issueClientCert('system:node:vk', ['system:nodes']);
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An "API server" that records what reached it and answers with `handle`. */
async function upstream(handle: (path: string, res: ServerResponse) => void) {
  const reached: string[] = [];
  const server: Server = createServer({
    ...{ cert: serving.certPem, key: serving.keyPem },
    requestCert: true,
    ca: ca.certPem,
  });
  server.on('request', (req, res) => {
    req.resume();
    req.on('end', () => {
      reached.push(`${req.method} ${req.url}`);
      handle(req.url ?? '', res);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, reached };
}

async function proxyTo(url: string) {
  const proxy = new FaultProxy('a1', { server: url, caPem: ca.certPem, ...client }, serving);
  const base = await proxy.listen();
  closers.push(() => proxy.close());
  const dispatcher = new Agent({ connect: { ca: ca.certPem } });
  closers.push(() => dispatcher.close());
  const send = async (method: 'GET' | 'PATCH' | 'PUT', path: string, body?: object, signal?: AbortSignal) => {
    const response = await request(`${base}${path}`, {
      method,
      dispatcher,
      signal,
      ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    return { status: response.statusCode, text: await response.body.text() };
  };
  return { proxy, send, base, dispatcher };
}

const STATUS = '/api/v1/namespaces/default/pods/web/status';
const ok = (_path: string, res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end('{}');

describe('the fault proxy between an agent and the API server', () => {
  it('answers pod status writes 409/429/5xx without forwarding them, or forwards then answers 500', async () => {
    const api = await upstream(ok);
    const { proxy, send } = await proxyTo(api.url);
    expect((await send('PATCH', STATUS, { status: {} })).status).toBe(200);
    proxy.failStatusWrites(409, 1, 60_000);
    const refused = await send('PATCH', STATUS, { status: {} });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.text)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect((await send('GET', '/api/v1/namespaces/default/pods/web')).status).toBe(200); // reads pass
    proxy.failStatusWrites('applied-then-500', 1, 60_000);
    expect((await send('PATCH', STATUS, { status: {} })).status).toBe(500);
    expect(api.reached.filter(line => line.startsWith('PATCH'))).toHaveLength(2);
    proxy.calm();
    expect((await send('PATCH', STATUS, { status: {} })).status).toBe(200);
  });

  it('cuts a watch in the middle of an event', async () => {
    const api = await upstream((_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const event = `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x'.repeat(200) } } })}\n`;
      const timer = setInterval(() => res.write(event), 20);
      res.once('close', () => clearInterval(timer));
    });
    const { proxy, base, dispatcher } = await proxyTo(api.url);
    setTimeout(() => proxy.cutWatches(0), 100);
    const response = await request(`${base}/api/v1/pods?watch=true`, { dispatcher });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of response.body) text += (chunk as Buffer).toString('utf8');
      })(),
    ).rejects.toThrow(); // the connection drops; the agent sees what a cut stream looks like
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(() => JSON.parse(lines.at(-1)!)).toThrow(); // the last event is half of one
  });

  it('drops everything while partitioned and logs the writes it dropped; forwards again once healed', async () => {
    const api = await upstream(ok);
    const { proxy, send } = await proxyTo(api.url);
    proxy.partition();
    await expect(
      send(
        'PUT',
        '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk',
        { spec: { holderIdentity: 'one' } },
        AbortSignal.timeout(300),
      ),
    ).rejects.toThrow();
    expect(api.reached).toEqual([]);
    expect(proxy.writes).toEqual([
      expect.objectContaining({ method: 'PUT', code: 0, dropped: true, holder: 'one' }),
    ]);
    proxy.heal();
    await expect(
      send('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk', {
        spec: { holderIdentity: 'one' },
      }),
    ).resolves.toMatchObject({ status: 200 });
    expect(proxy.writes.at(-1)).toMatchObject({ code: 200, holder: 'one' });
  });
});
