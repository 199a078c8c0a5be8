import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { startContainerd, type Containerd } from '@vkubelet/containerd';
import { plugin } from '@vkubelet/provider-cri';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { spawnKubectl, type RunningKubectl } from '../kubelet-api/kubectl-process.js';

import { startVirtualNode, type VirtualNode } from '../support/virtual-node.js';

/**
 * kubectl → kube-apiserver (scheduler included) → VirtualKubelet → CRI provider → a private
 * containerd running real busybox containers: the pod runs, logs/exec/port-forward reach it, a
 * crashing container restarts with its count in the API, and deletion leaves nothing in containerd.
 */
const NODE = 'vk-cri-e2e';
const IMAGE = 'vkubelet.test/busybox:1';

let cp: ControlPlane;
let containerd: Containerd;
let node: VirtualNode | undefined;
const running: RunningKubectl[] = [];

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

async function getPod(name: string): Promise<V1Pod> {
  return JSON.parse(await kubectlOk(['get', 'pod', name, '-o', 'json'])) as V1Pod;
}

function pod(name: string, container: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'IfNotPresent', ...container }],
      ...extra,
    },
  });
}

beforeAll(async () => {
  [cp, containerd] = await Promise.all([startControlPlane({ name: 'cri-e2e' }), startContainerd()]);
  const configPath = join(containerd.dir, 'cri.json');
  await writeFile(
    configPath,
    JSON.stringify({
      runtimeEndpoint: containerd.endpoint,
      podRoot: containerd.podRoot,
      cgroupParent: containerd.cgroupParent,
      statusIntervalMs: 250,
      backoff: { initialMs: 1_000, maxMs: 4_000 },
    }),
  );
  node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
}, 180_000);

afterAll(async () => {
  for (const process of running) process.child.kill('SIGKILL');
  await node?.stop();
  await containerd?.stop();
  await cp?.stop();
}, 60_000);

describe('CRI provider through the API server', () => {
  it('runs a real container; kubectl logs, exec and port-forward reach it; delete removes the sandbox', async () => {
    await vi.waitFor(
      () =>
        kubectlOk(
          ['apply', '-f', '-'],
          pod('web', {
            command: ['sh', '-c', 'echo started on $(hostname); exec nc -ll -p 8080 -e cat'],
            ports: [{ containerPort: 8080 }],
          }),
        ),
      { timeout: 30_000, interval: 500 },
    );
    const web = await vi.waitFor(
      async () => {
        const p = await getPod('web');
        if (p.status?.phase !== 'Running') throw new Error(`phase ${p.status?.phase}`);
        return p;
      },
      { timeout: 60_000, interval: 300 },
    );
    expect(web.spec?.nodeName).toBe(NODE);
    expect(web.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
    expect(web.status?.podIP?.startsWith(containerd.subnet.split('.').slice(0, 3).join('.'))).toBe(true);

    expect(await kubectlOk(['logs', 'web'])).toBe('started on web\n');
    expect(await kubectlOk(['exec', 'web', '--', 'sh', '-c', 'echo $((6 * 7)); id -u'])).toBe('42\n0\n');
    // stdin reaches the command and its end too (SPDY half-close), so `cat` ends
    expect(
      await kubectlOk(['exec', '-i', 'web', '--', 'sh', '-c', 'cat; echo done'], 'line one\nline two\n'),
    ).toBe('line one\nline two\ndone\n');
    const failed = await cp.kubectl(['exec', 'web', '--', 'sh', '-c', 'exit 7']);
    expect(failed.code).toBe(7);

    const forward = spawnKubectl(cp.kubectlPath, cp.adminKubeconfigPath, [
      'port-forward',
      '--address=127.0.0.1',
      'pod/web',
      ':8080',
    ]);
    running.push(forward);
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
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.write('ping through containerd\n');
    await vi.waitFor(() => expect(Buffer.concat(received).toString()).toBe('ping through containerd\n'), {
      timeout: 15_000,
    });
    socket.destroy();
    forward.child.kill('SIGTERM');

    await kubectlOk(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
    await vi.waitFor(
      async () => {
        expect((await containerd.ctr(['containers', 'ls', '-q'])).trim()).toBe('');
      },
      { timeout: 20_000, interval: 300 },
    );
  });

  it('restarts a container that exits and shows the restart count', async () => {
    await kubectlOk(
      ['apply', '-f', '-'],
      pod('crash', { command: ['sh', '-c', 'echo attempt; sleep 1; exit 1'] }),
    );
    const crashed = await vi.waitFor(
      async () => {
        const p = await getPod('crash');
        const status = p.status?.containerStatuses?.[0];
        if ((status?.restartCount ?? 0) < 2) throw new Error(`restartCount ${status?.restartCount}`);
        return p;
      },
      { timeout: 60_000, interval: 500 },
    );
    const status = crashed.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated?.exitCode).toBe(1);
    expect(crashed.status?.phase).toBe('Running');
    expect(await kubectlOk(['logs', 'crash', '--previous'])).toBe('attempt\n');

    await kubectlOk(
      ['apply', '-f', '-'],
      pod('once', { command: ['sh', '-c', 'exit 3'] }, { restartPolicy: 'Never' }),
    );
    const failed = await vi.waitFor(
      async () => {
        const p = await getPod('once');
        if (p.status?.phase !== 'Failed') throw new Error(`phase ${p.status?.phase}`);
        return p;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    expect(failed.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    await kubectlOk(['delete', 'pod', 'crash', 'once', '--wait=true', '--timeout=60s']);
  });

  it('rides out a containerd restart: the node says why it is NotReady, the pod keeps running', async () => {
    await kubectlOk(['apply', '-f', '-'], pod('steady', { command: ['sleep', '3600'] }));
    await vi.waitFor(
      async () => {
        const p = await getPod('steady');
        if (p.status?.phase !== 'Running') throw new Error(`phase ${p.status?.phase}`);
      },
      { timeout: 60_000, interval: 300 },
    );
    const ready = async () =>
      (JSON.parse(await kubectlOk(['get', 'node', NODE, '-o', 'json'])) as V1Node).status?.conditions?.find(
        c => c.type === 'Ready',
      );

    await containerd.kill();
    // The agent pings its provider every 10 s: the node turns NotReady with the runtime's address.
    const notReady = await vi.waitFor(
      async () => {
        const condition = await ready();
        if (condition?.status !== 'False') throw new Error(`Ready ${condition?.status}`);
        return condition;
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(notReady.message).toContain(`the CRI runtime at ${containerd.endpoint} is not reachable`);
    expect((await getPod('steady')).status?.phase).toBe('Running');

    await containerd.start();
    await vi.waitFor(
      async () => {
        const condition = await ready();
        if (condition?.status !== 'True')
          throw new Error(`Ready ${condition?.status}: ${condition?.message}`);
      },
      { timeout: 30_000, interval: 500 },
    );
    const steady = await getPod('steady');
    expect(steady.status?.phase).toBe('Running');
    expect(steady.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(steady.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    await kubectlOk(['delete', 'pod', 'steady', '--wait=true', '--timeout=60s']);
  }, 120_000);
});
