import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type {
  V1CertificateSigningRequest,
  V1SubjectAccessReview,
  V1TokenReview,
} from '@kubernetes/client-node';
import { noopLogger, type Provider } from '@vkubelet/provider-kit';
import { Registry, Counter } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type { AuthApis } from '../../../src/http/auth/types.js';
import type { KubeletServerOptions } from '../../../src/http/options.js';
import { KubeletServer } from '../../../src/http/server.js';
import { fakeApi } from './fake-api.js';
import { get, peerCertificate } from './helpers.js';
import { KUBELET_SERVING_SIGNER } from '../../../src/http/tls/csr-source.js';
import { x509 } from '../../../src/http/tls/keys.js';
import { createCa, issue, issueKeyPair, type TestCa } from './pki.js';

const provider = {
  getPods: () => Promise.resolve([]),
} as unknown as Provider;

let dir: string;
let ca: TestCa;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vk-http-'));
  ca = await createCa();
  await writeFile(join(dir, 'ca.crt'), ca.cert);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const servers: KubeletServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()));
});

async function start(options: Partial<KubeletServerOptions>) {
  const server = KubeletServer.create({
    nodeName: 'vk',
    provider,
    listPods: () => [],
    listen: { host: '127.0.0.1', port: 0 },
    tls: { selfSigned: true },
    auth: {},
    logger: noopLogger,
    ...options,
  });
  servers.push(server);
  return server.start();
}

/** A fake TokenReview + SubjectAccessReview API: token "alice" is a user who may only read stats. */
function webhook(options: { sarFails?: boolean } = {}): AuthApis {
  const createTokenReview = (body: V1TokenReview) =>
    Promise.resolve({
      spec: body.spec,
      status:
        body.spec.token === 'alice'
          ? { authenticated: true, user: { username: 'alice', groups: ['system:authenticated'] } }
          : { authenticated: false },
    });
  const createSubjectAccessReview = (body: V1SubjectAccessReview) =>
    options.sarFails
      ? Promise.reject(new Error('apiserver unavailable'))
      : Promise.resolve({
          spec: body.spec,
          status: { allowed: body.spec.resourceAttributes?.subresource === 'healthz' },
        });
  return fakeApi((method, path, body) =>
    method === 'POST' && path === '/apis/authentication.k8s.io/v1/tokenreviews'
      ? createTokenReview(body as V1TokenReview)
      : method === 'POST' && path === '/apis/authorization.k8s.io/v1/subjectaccessreviews'
        ? createSubjectAccessReview(body as V1SubjectAccessReview)
        : Promise.reject(new Error(`unexpected ${method} ${path}`)),
  );
}

describe('KubeletServer authentication and authorization', () => {
  it('answers 401 without credentials when anonymous access is off', async () => {
    const { port } = await start({ auth: { webhook: webhook() } });
    expect(await get(port, '/healthz')).toMatchObject({ status: 401, body: 'Unauthorized\n' });
    expect((await get(port, '/healthz', { headers: { Authorization: 'Bearer mallory' } })).status).toBe(401);
  });

  it('answers 401 when nothing at all is configured (fails closed)', async () => {
    const { port } = await start({ auth: {} });
    expect((await get(port, '/pods')).status).toBe(401);
  });

  it('authorizes token users with SubjectAccessReview: allowed 200, denied 403', async () => {
    const { port } = await start({ auth: { webhook: webhook() } });
    const alice = { headers: { Authorization: 'Bearer alice' } };
    expect(await get(port, '/healthz', alice)).toMatchObject({ status: 200, body: 'ok' });
    const denied = await get(port, '/runningpods/', alice);
    expect(denied.status).toBe(403);
    expect(denied.body).toBe(
      'Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[pods, proxy])\n',
    );
  });

  it('answers 500 when the authorizer fails', async () => {
    const { port } = await start({ auth: { webhook: webhook({ sarFails: true }) } });
    expect((await get(port, '/healthz', { headers: { Authorization: 'Bearer alice' } })).status).toBe(500);
  });

  it('authenticates client certificates signed by the client CA, and only those', async () => {
    const { port } = await start({ auth: { clientCaFile: join(dir, 'ca.crt') } });
    const client = await issueKeyPair(ca, 'CN=kube-apiserver-kubelet-client, O=system:masters', 'client');
    expect((await get(port, '/pods', client)).status).toBe(200);
    const stranger = await issueKeyPair(await createCa('other'), 'CN=stranger', 'client');
    expect((await get(port, '/pods', stranger)).status).toBe(401);
    expect((await get(port, '/pods')).status).toBe(401);
  });
});

describe('KubeletServer TLS', () => {
  it('reloads the client CA bundle when it is replaced', async () => {
    const caFile = join(dir, 'rotating-ca.crt');
    const next = await createCa('next-ca');
    await writeFile(caFile, ca.cert);
    const { port } = await start({ auth: { clientCaFile: caFile } });
    const client = await issueKeyPair(next, 'CN=rotated-client', 'client');
    expect((await get(port, '/pods', client)).status).toBe(401);

    await writeFile(`${caFile}.tmp`, next.cert);
    await rename(`${caFile}.tmp`, caFile);
    await vi.waitFor(async () => expect((await get(port, '/pods', client)).status).toBe(200), {
      timeout: 5000,
    });
  });

  it('serves TLS 1.2 or newer only', async () => {
    const { port } = await start({ auth: { anonymous: true } });
    const { connect } = await import('node:tls');
    const error = await new Promise<Error>(resolve => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      });
      socket.on('error', resolve);
      socket.on('secureConnect', () => resolve(new Error('connected')));
    });
    expect(error.message).not.toBe('connected');
  });

  it('reloads the certificate files when they are replaced', async () => {
    const certFile = join(dir, 'serving.crt');
    const keyFile = join(dir, 'serving.key');
    const first = await issueKeyPair(ca, 'CN=first', 'server');
    await writeFile(certFile, first.cert);
    await writeFile(keyFile, first.key);
    const { port } = await start({ tls: { certFile, keyFile }, auth: { anonymous: true } });
    expect((await peerCertificate(port)).subject.CN).toBe('first');

    const second = await issueKeyPair(ca, 'CN=second', 'server');
    // Written the way rotation tools do it: new files renamed over the old ones.
    await writeFile(`${keyFile}.tmp`, second.key);
    await writeFile(`${certFile}.tmp`, second.cert);
    await rename(`${keyFile}.tmp`, keyFile);
    await rename(`${certFile}.tmp`, certFile);
    await vi.waitFor(async () => expect((await peerCertificate(port)).subject.CN).toBe('second'), {
      timeout: 5000,
    });
  });

  it('fails TLS handshakes until a CSR certificate is issued, then serves it', async () => {
    const issued: { pem?: string } = {};
    const server = KubeletServer.create({
      nodeName: 'vk',
      provider,
      listPods: () => [],
      listen: { host: '127.0.0.1', port: 0 },
      tls: {
        csr: {
          client: fakeApi((method, _path, body) => {
            if (method === 'POST') {
              const csr = body as V1CertificateSigningRequest;
              pendingRequest = csr.spec.request;
              return Promise.resolve({ ...csr, metadata: { name: 'csr-1' } });
            }
            return Promise.resolve({
              spec: { request: pendingRequest ?? '', signerName: KUBELET_SERVING_SIGNER },
              status: issued.pem ? { certificate: Buffer.from(issued.pem).toString('base64') } : {},
            });
          }),
          pollIntervalMs: 20,
        },
      },
      auth: { anonymous: true },
      logger: noopLogger,
    });
    let pendingRequest: string | undefined;
    servers.push(server);
    const { port } = await server.start();
    await vi.waitFor(() => expect(pendingRequest).toBeDefined());
    expect(server.servingCertificateReady).toBe(false);
    await expect(get(port, '/healthz')).rejects.toThrow();

    const csr = new x509.Pkcs10CertificateRequest(
      Buffer.from(pendingRequest ?? '', 'base64').toString('utf8'),
    );
    issued.pem = await issue(ca, csr.subject, csr.publicKey, { usage: 'server', hosts: ['127.0.0.1'] });
    await vi.waitFor(() => expect(server.servingCertificateReady).toBe(true));
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    expect((await peerCertificate(port)).subject.CN).toBe('system:node:vk');
  });

  it('refuses to start with a key that does not match the certificate', async () => {
    const a = await issueKeyPair(ca, 'CN=a', 'server');
    const b = await issueKeyPair(ca, 'CN=b', 'server');
    await writeFile(join(dir, 'a.crt'), a.cert);
    await writeFile(join(dir, 'b.key'), b.key);
    await expect(
      start({
        tls: { certFile: join(dir, 'a.crt'), keyFile: join(dir, 'b.key') },
        auth: { anonymous: true },
      }),
    ).rejects.toThrow(/does not match/);
  });
});

describe('metrics server', () => {
  it('serves the registry on plain HTTP with /healthz', async () => {
    const registry = new Registry();
    new Counter({ name: 'vk_test_total', help: 'test', registers: [registry] }).inc(7);
    const { metricsPort } = await start({
      auth: { anonymous: true },
      metrics: { registry, listen: { host: '127.0.0.1', port: 0 } },
    });
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('vk_test_total 7');
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).text()).toBe('ok');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
  });
});
