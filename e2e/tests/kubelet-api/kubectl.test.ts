import { once } from 'node:events';
import { request } from 'node:https';
import { connect } from 'node:net';

import { KubeConfig, type V1Node } from '@kubernetes/client-node';
import { KubeClient, KubeletServer, loadKubeconfig } from '@vkubelet/core';
import { noopLogger } from '@vkubelet/provider-kit';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { kubectlHelpers } from '../support/kubectl.js';

import { spawnInTerminal, spawnKubectl, type RunningKubectl } from './kubectl-process.js';
import { ScriptedProvider } from './scripted-provider.js';

/**
 * kubectl → kube-apiserver → our kubelet API server → a scripted provider: logs, exec, attach and
 * port-forward as users run them. The node registers as itself (node identity); the test binds a
 * pod to it and patches it Running, since no pod controller runs here.
 */
const NODE = 'vk-e2e';
const POD = 'app';

let cp: ControlPlane;
let server: KubeletServer;
let port: number;
let provider: ScriptedProvider;
const running: RunningKubectl[] = [];

const { kubectl, kubectlOk } = kubectlHelpers(() => cp);

/** Go's RFC3339Nano in UTC, as kubelets prefix log lines. */
function rfc3339Nano(time: Date): string {
  const [whole, fraction = ''] = time.toISOString().slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''}Z`;
}

/**
 * A request straight to the node with the admin's client certificate, which the node authenticates
 * against the cluster CA and authorizes through SubjectAccessReview like any other caller.
 */
async function fetchNode(path: string): Promise<{ status: number; body: string }> {
  const admin = new KubeConfig();
  admin.loadFromFile(cp.adminKubeconfigPath);
  const user = admin.getCurrentUser();
  const cert = Buffer.from(user?.certData ?? '', 'base64').toString('utf8');
  const key = Buffer.from(user?.keyData ?? '', 'base64').toString('utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, cert, key, rejectUnauthorized: false, agent: false },
      res => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function start(args: string[]): RunningKubectl {
  const process = spawnKubectl(cp.kubectlPath, cp.adminKubeconfigPath, args);
  running.push(process);
  return process;
}

beforeAll(async () => {
  cp = await startControlPlane({ name: 'kubelet-api-e2e', scheduler: false });
  const client = KubeClient.create({ kubeConfig: loadKubeconfig(await cp.nodeKubeconfig(NODE)) });
  provider = new ScriptedProvider();

  server = KubeletServer.create({
    nodeName: NODE,
    provider,
    listPods: () => [],
    listen: { host: '127.0.0.1', port: 0 },
    tls: { selfSigned: true },
    auth: { clientCaFile: cp.ca.certPath, webhook: client },
    logger: noopLogger,
  });
  ({ port } = await server.start());

  const status: V1Node['status'] = {
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    daemonEndpoints: { kubeletEndpoint: { Port: port } },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'e2e' }],
  };
  await client.requestJson('POST', '/api/v1/nodes', { body: { metadata: { name: NODE }, status } });

  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD, namespace: 'default' },
    spec: {
      nodeName: NODE,
      automountServiceAccountToken: false,
      containers: [
        { name: 'main', image: 'busybox' },
        { name: 'sidecar', image: 'busybox' },
      ],
    },
  };
  // The ServiceAccount admission plugin waits for the default ServiceAccount, created by KCM.
  await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], JSON.stringify(pod)), {
    timeout: 30_000,
    interval: 500,
  });
  await kubectlOk([
    'patch',
    'pod',
    POD,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: { phase: 'Running', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }] },
    }),
  ]);
}, 180_000);

afterAll(async () => {
  for (const process of running) process.child.kill('SIGKILL');
  await server?.close();
  await cp?.stop();
});

describe('kubectl logs', () => {
  it('shows the whole log', async () => {
    expect(await kubectlOk(['logs', POD])).toBe('old-1\nold-2\nrecent-1\nrecent-2\n');
  });

  it('--tail, --since, --limit-bytes and --timestamps', async () => {
    expect(await kubectlOk(['logs', POD, '--tail=2'])).toBe('recent-1\nrecent-2\n');
    expect(await kubectlOk(['logs', POD, '--since=30s'])).toBe('recent-1\nrecent-2\n');
    expect(await kubectlOk(['logs', POD, '--limit-bytes=10'])).toBe('old-1\nold-');
    const stamped = (await kubectlOk(['logs', POD, '--timestamps', '--tail=1'])).trimEnd();
    expect(stamped).toBe(`${rfc3339Nano(provider.history[3]?.time ?? new Date(0))} recent-2`);
  });

  it('relays provider errors: an unknown container is NotFound', async () => {
    const result = await kubectl(['logs', POD, '-c', 'sidecar']);
    expect(result.code).not.toBe(0);
    // The API server turns a kubelet 404 into its own NotFound (the node's message is not relayed).
    expect(result.stderr).toContain('Error from server (NotFound)');
    expect(result.stderr).toContain('pods/log app');
  });

  it('rejects bad options with a 400 at the node', async () => {
    const reply = await fetchNode('/containerLogs/default/app/main?tailLines=-1');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/tailLines/);
  });

  it('-f shows lines as they are written and stops the provider when kubectl goes away', async () => {
    const follower = start(['logs', '-f', '--tail=1', POD]);
    await vi.waitFor(() => expect(follower.stdout()).toBe('recent-2\n'), { timeout: 15_000, interval: 100 });
    const signal = provider.followSignals.at(-1);
    provider.appendLog('live-1');
    await vi.waitFor(() => expect(follower.stdout()).toBe('recent-2\nlive-1\n'), {
      timeout: 5_000,
      interval: 50,
    });
    provider.appendLog('live-2');
    await vi.waitFor(() => expect(follower.stdout()).toBe('recent-2\nlive-1\nlive-2\n'), {
      timeout: 5_000,
      interval: 50,
    });
    expect(signal?.aborted).toBe(false);
    follower.child.kill('SIGKILL');
    await vi.waitFor(() => expect(signal?.aborted).toBe(true), { timeout: 15_000, interval: 100 });
  });
});

describe('kubectl exec', () => {
  it('passes stdin through (-i)', async () => {
    expect(await kubectlOk(['exec', '-i', POD, '--', 'cat'], 'hello\nworld\n')).toBe('hello\nworld\n');
  });

  it('returns the exit code of the command', async () => {
    const result = await kubectl(['exec', POD, '--', 'sh', '-c', 'exit 3']);
    expect(result.code).toBe(3);
    const unknown = await kubectl(['exec', POD, '--', 'nope']);
    expect(unknown.code).toBe(127);
    expect(unknown.stderr).toContain('nope: command not found');
  });

  it('allocates a terminal with -t', async () => {
    const session = spawnInTerminal(
      `${cp.kubectlPath} --kubeconfig=${cp.adminKubeconfigPath} exec -it ${POD} -- tty`,
    );
    running.push(session);
    expect(await session.exited).toBe(0);
    expect(session.stdout()).toContain('a tty');
    expect(provider.execs.at(-1)).toMatchObject({ command: ['tty'], tty: true });
  });

  it('ends the provider exec when kubectl is killed mid-session', async () => {
    const before = provider.execs.length;
    const session = start(['exec', POD, '--', 'sleep', 'infinity']);
    await vi.waitFor(() => expect(provider.execs.length).toBe(before + 1), {
      timeout: 15_000,
      interval: 100,
    });
    const exec = provider.execs.at(-1);
    expect(exec?.signal.aborted).toBe(false);
    session.child.kill('SIGKILL');
    await vi.waitFor(() => expect(exec?.signal.aborted).toBe(true), { timeout: 20_000, interval: 100 });
    await exec?.ended;
  });
});

describe('kubectl attach', () => {
  it('streams stdin to the container and its output back', async () => {
    const output = await kubectlOk(['attach', '-i', POD, '-c', 'main'], 'shout\n');
    expect(output).toContain('SHOUT\n');
  });
});

describe('kubectl port-forward', () => {
  it('carries bytes both ways', async () => {
    const forward = start(['port-forward', '--address=127.0.0.1', `pod/${POD}`, ':8080']);
    const localPort = await vi.waitFor(
      () => {
        const match = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(forward.stdout());
        if (!match) throw new Error(`not forwarding yet: ${forward.stderr()}`);
        return Number(match[1]);
      },
      { timeout: 15_000, interval: 100 },
    );
    const socket = connect(localPort, '127.0.0.1');
    await once(socket, 'connect');
    const payload = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251));
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.write(payload);
    await vi.waitFor(() => expect(Buffer.concat(received).length).toBe(payload.length), {
      timeout: 15_000,
      interval: 50,
    });
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    socket.destroy();
    expect(provider.forwardedPorts).toContain(8080);
  });
});

describe('node proxy endpoints', () => {
  it('serves stats/summary and metrics/resource to the API server identity', async () => {
    // The API server refuses nodes/proxy to loopback addresses ("address not allowed"), and test
    // servers bind 127.0.0.1 only, so these go to the node directly (see fetchNode).
    const summary = await fetchNode('/stats/summary');
    expect(summary.status).toBe(200);
    expect(JSON.parse(summary.body)).toMatchObject({ node: { nodeName: 'vk-e2e' } });
    const metrics = await fetchNode('/metrics/resource');
    expect(metrics.body).toMatch(/^pod_memory_working_set_bytes\{namespace="default",pod="app"\} 2048 \d+$/m);
    expect(metrics.body).toMatch(/^node_cpu_usage_seconds_total 3 \d+$/m);
  });
});
