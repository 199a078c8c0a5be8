import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { V1CertificateSigningRequest } from '@kubernetes/client-node';

import type { Logger } from '@vkubelet/provider-kit';

import type { KubeClient } from '../../kube/client.js';

import type { CertificateSource, ServingCredentials } from './types.js';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export interface CsrSourceOptions {
  /** core's KubeClient, or a fake with the same call in tests. */
  client: Pick<KubeClient, 'requestJson'>;
  nodeName: string;
  /** DNS names and IP addresses of the node, put in the certificate's SANs. */
  hosts: readonly string[];
  logger: Logger;
  /** Requested lifetime; the signer may shorten it. Default: the signer's own. */
  expirationSeconds?: number;
  /** Renew once this fraction of the lifetime has passed (default 0.8, within the kubelet's 70–90 %). */
  rotateAt?: number;
  pollIntervalMs?: number;
  /** Wait after a denied, failed or unissued request before asking again. */
  retryDelayMs?: number;
}

/** setTimeout takes at most ~24.8 days; certificates live longer, so long waits go in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

async function sleepUntil(when: number, signal: AbortSignal): Promise<void> {
  for (let left = when - Date.now(); left > 0; left = when - Date.now()) {
    await sleep(Math.min(left, MAX_TIMER_MS), undefined, { signal });
  }
}

function failureOf(csr: V1CertificateSigningRequest): string | undefined {
  const condition = csr.status?.conditions?.find(
    c => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False',
  );
  return condition
    ? `${condition.type}: ${condition.reason ?? ''} ${condition.message ?? ''}`.trim()
    : undefined;
}

/**
 * A serving certificate issued by the cluster: a CertificateSigningRequest for signer
 * `kubernetes.io/kubelet-serving` with subject CN=system:node:<node>, O=system:nodes and the node's
 * addresses as SANs, as the kubelet's serverTLSBootstrap sends it. Someone (an admin, an approver
 * controller, a test) approves it; until then the server has no certificate and TLS handshakes fail,
 * as with the kubelet. The certificate is renewed at `rotateAt` of its lifetime, keeping the old one
 * until the new one is issued.
 */
export class CsrCertificateSource implements CertificateSource {
  private readonly abort = new AbortController();

  constructor(private readonly options: CsrSourceOptions) {}

  start(onChange: (credentials: ServingCredentials) => void): Promise<void> {
    this.run(onChange).catch((err: unknown) => {
      if (!this.abort.signal.aborted) {
        this.options.logger.error('serving certificate rotation stopped', { err: String(err) });
      }
    });
    return Promise.resolve();
  }

  stop(): void {
    this.abort.abort();
  }

  private async run(onChange: (credentials: ServingCredentials) => void): Promise<void> {
    const signal = this.abort.signal;
    const rotateAt = this.options.rotateAt ?? 0.8;
    while (!signal.aborted) {
      let credentials: ServingCredentials;
      try {
        credentials = await this.requestCertificate(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.options.logger.warn('serving certificate request failed; retrying', { err: String(err) });
        await sleep(this.options.retryDelayMs ?? 30_000, undefined, { signal });
        continue;
      }
      onChange(credentials);
      const leaf = new X509Certificate(credentials.cert);
      const from = Date.parse(leaf.validFrom);
      const to = Date.parse(leaf.validTo);
      const renewal = from + (to - from) * rotateAt;
      this.options.logger.info('serving certificate issued', {
        notAfter: leaf.validTo,
        renewAt: new Date(renewal).toISOString(),
      });
      await sleepUntil(renewal, signal);
    }
  }

  /** Creates a CSR and waits until it is issued; rejects if it is denied or fails. */
  async requestCertificate(signal: AbortSignal): Promise<ServingCredentials> {
    const { client, nodeName, hosts } = this.options;
    // Loaded on first use: @peculiar/x509 costs ~10 MB of RSS that serving from files never needs.
    const { generateKeyPair, privateKeyPem, SIGNING_ALGORITHM, subjectAltNames, x509 } =
      await import('./keys.js');
    const keys = await generateKeyPair();
    const request = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=system:node:${nodeName}, O=system:nodes`,
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [subjectAltNames(hosts)],
    });
    const created = await client.requestJson<V1CertificateSigningRequest>('POST', CSRS, {
      signal,
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { generateName: `csr-${nodeName}-` },
        spec: {
          request: Buffer.from(request.toString('pem')).toString('base64'),
          signerName: KUBELET_SERVING_SIGNER,
          // ECDSA keys do not encipher; the kubelet-serving signer accepts exactly these usages.
          usages: ['digital signature', 'server auth'],
          expirationSeconds: this.options.expirationSeconds,
        },
      },
    });
    const name = created.metadata?.name;
    if (!name) throw new Error('the API server returned a CertificateSigningRequest without a name');
    this.options.logger.info('waiting for serving certificate approval', { csr: name });

    const read = () =>
      client.requestJson<V1CertificateSigningRequest>('GET', `${CSRS}/${encodeURIComponent(name)}`, {
        signal,
      });
    for (let csr = created; ; csr = await read()) {
      const failure = failureOf(csr);
      if (failure) throw new Error(`CertificateSigningRequest ${name}: ${failure}`);
      const issued = csr.status?.certificate;
      if (issued) {
        return { cert: Buffer.from(issued, 'base64').toString('utf8'), key: await privateKeyPem(keys) };
      }
      await sleep(this.options.pollIntervalMs ?? 1000, undefined, { signal });
    }
  }
}
