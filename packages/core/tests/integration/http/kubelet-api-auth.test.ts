import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type PeerCertificate } from 'node:tls';

import type { V1Node } from '@kubernetes/client-node';
import { noopLogger, type Provider } from '@vkubelet/provider-kit';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { KubeletServer } from '../../../src/http/server.js';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig/index.js';
import { get } from '../../unit/http/helpers.js';

/**
 * The kubelet API server against a real control plane: a serving certificate from a CSR approved by
 * an admin and signed by kube-controller-manager, TokenReview/SubjectAccessReview through the API
 * server, and the API server itself calling us with its kubelet client certificate.
 */
const NODE = 'vk-http-auth';

let cp: ControlPlane;
let server: KubeletServer;
let port: number;

const provider = {
  getPods: () => Promise.resolve([]),
  getContainerLogs: () =>
    Promise.resolve(
      (async function* () {
        yield await Promise.resolve({ time: new Date(), text: 'hello from the virtual node' });
      })(),
    ),
} as unknown as Provider;

async function kubectlOk(args: string[], kubeconfig?: string): Promise<string> {
  const result = await cp.kubectl(args, kubeconfig ? { kubeconfig } : {});
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function servingCertificate(): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, ca: readFileSync(cp.ca.certPath), servername: NODE },
      () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  cp = await startControlPlane({ name: 'http-auth', scheduler: false });
  const client = KubeClient.create({ kubeConfig: loadKubeconfig(await cp.nodeKubeconfig(NODE)) });

  server = KubeletServer.create({
    nodeName: NODE,
    provider,
    listPods: () => [],
    listen: { host: '127.0.0.1', port: 0 },
    tls: { csr: { client, hosts: [NODE, '127.0.0.1'], pollIntervalMs: 200 } },
    auth: { clientCaFile: cp.ca.certPath, webhook: client },
    logger: noopLogger,
  });
  ({ port } = await server.start());

  // Register the node as the node itself, pointing the API server at our port.
  const node: V1Node = {
    metadata: { name: NODE },
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  };
  await client.requestJson('POST', '/api/v1/nodes', { body: node });
  await client.patch(`/api/v1/nodes/${NODE}/status`, { status: node.status }, 'strategic');

  // An admin approves the serving CSR; kube-controller-manager signs it.
  const csrName = await vi.waitFor(
    async () => {
      const out = await kubectlOk([
        'get',
        'csr',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name} {.spec.username}{"\\n"}{end}',
      ]);
      const line = out.split('\n').find(l => l.endsWith(` system:node:${NODE}`));
      if (!line) throw new Error('no CSR yet');
      return line.split(' ')[0] ?? '';
    },
    { timeout: 30_000, interval: 200 },
  );
  await kubectlOk(['certificate', 'approve', csrName]);
  await vi.waitFor(() => expect(server.servingCertificateReady).toBe(true), {
    timeout: 60_000,
    interval: 200,
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await cp?.stop();
});

describe('serving certificate from a CertificateSigningRequest', () => {
  it('is issued by the cluster CA for system:node:<name> with the node address', async () => {
    const cert = await servingCertificate(); // verified against the cluster CA by the TLS handshake
    expect(cert.subject.CN).toBe(`system:node:${NODE}`);
    expect(cert.subject.O).toBe('system:nodes');
    expect(cert.subjectaltname).toContain('IP Address:127.0.0.1');
    const issuer = new X509Certificate(readFileSync(cp.ca.certPath));
    expect(new X509Certificate(cert.raw).checkIssued(issuer)).toBe(true);
  });
});

describe('authentication and authorization through the API server', () => {
  it('lets the API server in with its kubelet client certificate (kubectl logs)', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'logger', namespace: 'default' },
      spec: {
        nodeName: NODE,
        automountServiceAccountToken: false,
        containers: [{ name: 'main', image: 'busybox' }],
      },
    };
    // The ServiceAccount admission plugin needs the default ServiceAccount, which KCM creates.
    await vi.waitFor(
      () =>
        cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) }).then(r => {
          if (r.code !== 0) throw new Error(r.stderr);
        }),
      { timeout: 30_000, interval: 500 },
    );
    expect(await kubectlOk(['logs', '-n', 'default', 'logger', '-c', 'main'])).toBe(
      'hello from the virtual node\n',
    );
  });

  it('is not reachable through nodes/proxy on a loopback address (API server policy)', async () => {
    // The API server refuses to proxy nodes/proxy to loopback addresses; tests bind 127.0.0.1 only,
    // so /stats and /metrics via `kubectl get --raw .../proxy/...` cannot be exercised here.
    const result = await cp.kubectl(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/healthz`]);
    expect(result.stderr).toContain('address not allowed');
  });

  it('answers 401 to a direct request without credentials', async () => {
    expect(await get(port, '/pods')).toMatchObject({ status: 401, body: 'Unauthorized\n' });
  });

  it('checks bearer tokens with TokenReview and permissions with SubjectAccessReview', async () => {
    await kubectlOk(['create', 'serviceaccount', 'viewer', '-n', 'default']);
    const token = (await kubectlOk(['create', 'token', 'viewer', '-n', 'default'])).trim();
    const bearer = { headers: { Authorization: `Bearer ${token}` } };

    // No RBAC yet: authenticated, but denied.
    const denied = await get(port, '/runningpods/', bearer);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('user=system:serviceaccount:default:viewer');

    // Allowed to read stats only, through the API server's RBAC.
    await kubectlOk(['create', 'clusterrole', 'node-stats', '--verb=get', '--resource=nodes/stats']);
    await kubectlOk([
      'create',
      'clusterrolebinding',
      'viewer-stats',
      '--clusterrole=node-stats',
      '--serviceaccount=default:viewer',
    ]);
    await vi.waitFor(async () => expect((await get(port, '/stats/summary', bearer)).status).toBe(501), {
      timeout: 10_000,
      interval: 250,
    });
    expect(
      (await get(port, '/exec/default/p/c?command=ls&output=1', { ...bearer, method: 'POST' })).status,
    ).toBe(403);

    expect((await get(port, '/pods', { headers: { Authorization: 'Bearer not-a-token' } })).status).toBe(401);
  });

  it('authenticates user client certificates against the cluster CA and authorizes them', async () => {
    const { cert, key } = (await loadKubeconfig(await cp.userKubeconfig('carol', ['team'])).credentials())
      .tls;
    const reply = await get(port, '/healthz', { cert, key });
    expect(reply.status).toBe(403);
    expect(reply.body).toContain('user=carol');
  });

  it('a user without RBAC is refused by the API server before reaching the node', async () => {
    const result = await cp.kubectl(['get', '--raw', `/api/v1/nodes/${NODE}/proxy/pods`], {
      kubeconfig: await cp.userKubeconfig('dave'),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/forbidden/i);
  });
});
