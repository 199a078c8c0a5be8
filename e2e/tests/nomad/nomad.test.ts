import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod } from '@kubernetes/client-node';
import { startNomadEmulator, type NomadEmulator } from '@vkubelet/nomad-emulator';
import { plugin } from '@vkubelet/provider-nomad';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { kubectlHelpers } from '../support/kubectl.js';
import { startVirtualNode, type VirtualNode } from '../support/virtual-node.js';

/**
 * kubectl → kube-apiserver (scheduler included) → VirtualKubelet → Nomad provider → the Nomad API
 * emulator (tasks run the mock's process model): a pod becomes job vk.default.<name>, `kubectl
 * logs -f` follows Nomad's framed stream, `kubectl exec` returns the command's exit code, deletion
 * purges the job, and a restarted agent adopts the running job without registering anything.
 */
const NODE = 'vk-nomad-e2e';

let cp: ControlPlane;
let emulator: NomadEmulator;
let node: VirtualNode | undefined;
let dir: string;
let configPath: string;

function pod(name: string, script: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script] }],
    },
  });
}

const { kubectl, kubectlOk, getPod } = kubectlHelpers(() => cp);

function waitRunning(name: string): Promise<V1Pod> {
  return vi.waitFor(
    async () => {
      const p = await getPod(name);
      if (p.status?.phase !== 'Running')
        throw new Error(`phase ${p.status?.phase} ${p.status?.message ?? ''}`);
      return p;
    },
    { timeout: 60_000, interval: 300 },
  );
}

/** One request to the emulator with its management token. */
async function nomad(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${emulator.address}${path}`, {
    headers: { 'X-Nomad-Token': emulator.token },
  });
  return { status: response.status, body: response.ok ? await response.json() : await response.text() };
}

/** What would change if the job were registered again or an allocation placed anew. */
async function jobFootprint(jobId: string) {
  const job = (await nomad(`/v1/job/${jobId}`)).body as { Version: number; JobModifyIndex: number };
  const allocs = (await nomad(`/v1/job/${jobId}/allocations?all=true`)).body as Array<{ ID: string }>;
  const versions = (await nomad(`/v1/job/${jobId}/versions`)).body as { Versions: unknown[] };
  return {
    version: job.Version,
    modifyIndex: job.JobModifyIndex,
    versions: versions.Versions.length,
    allocs: allocs.map(alloc => alloc.ID).sort(),
  };
}

beforeAll(async () => {
  [cp, emulator] = await Promise.all([startControlPlane({ name: 'nomad-e2e' }), startNomadEmulator()]);
  dir = await mkdtemp(join(tmpdir(), 'vk-nomad-e2e-'));
  configPath = join(dir, 'nomad.yaml');
  await writeFile(configPath, `address: ${emulator.address}\n`);
  // The token as the Nomad CLI reads it, as on a real node.
  process.env['NOMAD_TOKEN'] = emulator.token;
  node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
}, 180_000);

afterAll(async () => {
  await node?.stop();
  await emulator?.stop();
  await cp?.stop();
  delete process.env['NOMAD_TOKEN'];
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('Nomad provider through the API server', () => {
  it('runs a pod as a Nomad job: logs -f, exec with its exit code, delete purges the job', async () => {
    await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], pod('web', 'echo hello from nomad; sleep 3600')), {
      timeout: 30_000,
      interval: 500,
    });
    const web = await waitRunning('web');
    expect(web.spec?.nodeName).toBe(NODE);
    expect(web.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const job = (await nomad('/v1/job/vk.default.web')).body as { Meta: Record<string, string> };
    expect(job.Meta).toMatchObject({ vkubelet_pod_uid: web.metadata!.uid, vkubelet_node: NODE });

    expect(await kubectlOk(['logs', 'web'])).toBe('hello from nomad\n');
    // -f holds the stream open: the line arrives, then the request is cut short by its timeout.
    const follow = await kubectl(['logs', '-f', 'web', '--request-timeout=3s']);
    expect(follow.stdout).toBe('hello from nomad\n');

    expect(await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'])).toMatchObject({
      code: 7,
      stdout: 'out\n',
      stderr: expect.stringContaining('err\n'),
    });
    expect(await kubectl(['exec', '-i', 'web', '--', 'cat'], 'piped\n')).toMatchObject({
      code: 0,
      stdout: 'piped\n',
    });

    await kubectlOk(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
    await vi.waitFor(async () => expect((await nomad('/v1/job/vk.default.web')).status).toBe(404), {
      timeout: 30_000,
      interval: 300,
    });
  });

  it('a restarted virtual-kubelet adopts the running job and registers nothing', async () => {
    await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], pod('keep', 'echo kept; sleep 3600')), {
      timeout: 30_000,
      interval: 500,
    });
    await waitRunning('keep');
    const before = await jobFootprint('vk.default.keep');
    expect(before.allocs).toHaveLength(1);

    await node!.stop();
    node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
    // Ready again means start-up adoption is done; logs go through the adopted allocation.
    expect(await kubectlOk(['logs', 'keep'])).toBe('kept\n');
    expect(await jobFootprint('vk.default.keep')).toEqual(before);
    expect((await getPod('keep')).status?.phase).toBe('Running');
    await kubectlOk(['delete', 'pod', 'keep', '--wait=true', '--timeout=60s']);
  });
});
