import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

import { KubeConfig } from '@kubernetes/client-node';
import { createCertificateAuthority, type CertificateAuthority } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KubeClient } from '../../../src/kube/client.js';

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
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
          caFile: join(dir, 'ca.crt'),
        },
      ],
      users: [{ name: 'u', certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
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
