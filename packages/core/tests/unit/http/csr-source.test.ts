import { X509Certificate } from 'node:crypto';

import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { noopLogger } from '@vkubelet/provider-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  CsrCertificateSource,
  KUBELET_SERVING_SIGNER,
  type CsrSourceOptions,
} from '../../../src/http/tls/csr-source.js';
import { x509 } from '../../../src/http/tls/keys.js';
import type { ServingCredentials } from '../../../src/http/tls/types.js';
import { fakeApi } from './fake-api.js';
import { createCa, issue, type TestCa } from './pki.js';

/**
 * A fake certificates API: every CSR stays pending for one read, then is approved and signed by the
 * test CA with `lifetimeMs` (or denied when `deny` says so).
 */
function fakeCertificates(ca: TestCa, options: { lifetimeMs: number; deny?: () => boolean }) {
  const created: V1CertificateSigningRequest[] = [];
  const reads = new Map<string, number>();
  const createCertificateSigningRequest = (body: V1CertificateSigningRequest) => {
    const csr = { ...body, metadata: { name: `csr-${created.length + 1}` } };
    created.push(csr);
    return Promise.resolve(csr);
  };
  const readCertificateSigningRequest = async (name: string): Promise<V1CertificateSigningRequest> => {
    const csr = created.find(c => c.metadata?.name === name);
    if (!csr) throw new Error(`no csr ${name}`);
    const count = (reads.get(name) ?? 0) + 1;
    reads.set(name, count);
    if (count < 2) return csr;
    if (options.deny?.()) {
      return {
        ...csr,
        status: {
          conditions: [{ type: 'Denied', status: 'True', reason: 'NoWay', message: 'denied by test' }],
        },
      };
    }
    const request = new x509.Pkcs10CertificateRequest(
      Buffer.from(csr.spec.request, 'base64').toString('utf8'),
    );
    const cert = await issue(ca, request.subject, request.publicKey, {
      usage: 'server',
      lifetimeMs: options.lifetimeMs,
    });
    return { ...csr, status: { certificate: Buffer.from(cert).toString('base64') } };
  };
  const api: CsrSourceOptions['client'] = fakeApi((method, path, body) =>
    method === 'POST'
      ? createCertificateSigningRequest(body as V1CertificateSigningRequest)
      : readCertificateSigningRequest(decodeURIComponent(path.split('/').at(-1) ?? '')),
  );
  return { api, created };
}

const sources: CsrCertificateSource[] = [];
afterEach(() => sources.splice(0).forEach(s => s.stop()));

describe('CsrCertificateSource', () => {
  it('requests a kubelet-serving certificate for the node and delivers it once issued', async () => {
    const ca = await createCa();
    const { api, created } = fakeCertificates(ca, { lifetimeMs: 3_600_000 });
    const source = new CsrCertificateSource({
      client: api,
      nodeName: 'vk-1',
      hosts: ['vk-1', '10.0.0.7'],
      logger: noopLogger,
      pollIntervalMs: 10,
    });
    sources.push(source);
    const delivered: ServingCredentials[] = [];
    await source.start(c => delivered.push(c));
    await vi.waitFor(() => expect(delivered).toHaveLength(1));

    const spec = created[0]?.spec;
    expect(spec?.signerName).toBe(KUBELET_SERVING_SIGNER);
    expect(spec?.usages).toEqual(['digital signature', 'server auth']);
    const request = new x509.Pkcs10CertificateRequest(
      Buffer.from(spec?.request ?? '', 'base64').toString('utf8'),
    );
    expect(request.subject).toBe('CN=system:node:vk-1, O=system:nodes');
    const san = request.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
    expect(san?.names.toJSON()).toEqual([
      { type: 'dns', value: 'vk-1' },
      { type: 'ip', value: '10.0.0.7' },
    ]);

    const leaf = new X509Certificate(delivered[0]?.cert ?? '');
    expect(leaf.subject).toContain('CN=system:node:vk-1');
    expect(leaf.checkIssued(new X509Certificate(ca.cert))).toBe(true);
  });

  it('renews the certificate at the configured fraction of its lifetime', async () => {
    const ca = await createCa();
    const { api, created } = fakeCertificates(ca, { lifetimeMs: 4000 });
    const source = new CsrCertificateSource({
      client: api,
      nodeName: 'vk',
      hosts: ['vk'],
      logger: noopLogger,
      pollIntervalMs: 10,
      rotateAt: 0.5,
    });
    sources.push(source);
    const delivered: ServingCredentials[] = [];
    await source.start(c => delivered.push(c));
    await vi.waitFor(() => expect(delivered).toHaveLength(2), { timeout: 6000, interval: 50 });
    expect(created).toHaveLength(2);
    expect(delivered[0]?.key).not.toBe(delivered[1]?.key); // a fresh key per certificate
  });

  it('retries with a new request after a denial', async () => {
    const ca = await createCa();
    let denials = 1;
    const { api, created } = fakeCertificates(ca, { lifetimeMs: 3_600_000, deny: () => denials-- > 0 });
    const source = new CsrCertificateSource({
      client: api,
      nodeName: 'vk',
      hosts: ['vk'],
      logger: noopLogger,
      pollIntervalMs: 10,
      retryDelayMs: 10,
    });
    sources.push(source);
    const delivered: ServingCredentials[] = [];
    await source.start(c => delivered.push(c));
    await vi.waitFor(() => expect(delivered).toHaveLength(1));
    expect(created).toHaveLength(2);
  });
});
