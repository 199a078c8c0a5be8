import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

import { createCertificateAuthority, type CertificateAuthority } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig/index.js';

describe('KubeClient over TLS with client certificates from files', () => {
  let ca: CertificateAuthority;
  let server: Server;
  let dir: string;
  let connections = 0;

  beforeAll(async () => {
    ca = await createCertificateAuthority();
    const serving = await ca.issueServingCert('apiserver', { ips: ['127.0.0.1'] });
    server = createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ user: peer.subject?.CN }));
      },
    );
    server.on('secureConnection', () => connections++);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    dir = mkdtempSync(join(tmpdir(), 'vk-transport-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function writeClientCert(user: string): Promise<void> {
    const pair = await ca.issueClientCert(user, ['system:nodes']);
    writeFileSync(join(dir, 'client.crt'), pair.certPem);
    writeFileSync(join(dir, 'client.key'), pair.keyPem);
  }

  it('reuses one connection and picks up a client certificate rotated on disk', async () => {
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    await writeClientCert('system:node:first');
    // Relative paths: they resolve against the kubeconfig's directory.
    writeFileSync(
      join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: c`,
        `  cluster: { server: "https://127.0.0.1:${(server.address() as AddressInfo).port}", certificate-authority: ca.crt }`,
        'users:',
        '- name: u',
        '  user: { client-certificate: client.crt, client-key: ./client.key }',
        'contexts:',
        '- { name: x, context: { cluster: c, user: u } }',
        'current-context: x',
      ].join('\n'),
    );
    // Files are checked at most once per interval; 0 here so the rotation shows on the next request.
    const kubeConfig = loadKubeconfig(join(dir, 'kubeconfig'), { fileCheckIntervalMs: 0 });
    const logs: string[] = [];
    const logger = {
      trace() {},
      debug() {},
      info: (m: string) => logs.push(m),
      warn: (m: string) => logs.push(m),
      error() {},
      child() {
        return logger;
      },
    };
    const client = KubeClient.create({ kubeConfig, logger });
    try {
      for (let i = 0; i < 20; i++) {
        expect(await client.requestJson('GET', '/api/v1/nodes/n')).toEqual({ user: 'system:node:first' });
      }
      // Connections are pooled (undici may keep a second one warm), not opened per request.
      expect(connections).toBeLessThanOrEqual(2);
      expect(logs).toEqual([]);
      const before = connections;
      await writeClientCert('system:node:second');
      expect(await client.requestJson('GET', '/api/v1/nodes/n')).toEqual({ user: 'system:node:second' });
      expect(connections).toBe(before + 1);
      expect(logs).toEqual(['TLS material changed; using a new connection pool']);
    } finally {
      await client.close();
    }
  });
});
