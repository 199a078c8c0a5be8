import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod } from '@kubernetes/client-node';
import { startEciEmulator, type EciEmulator } from '@vkubelet/eci-emulator';
import { plugin, TAG } from '@vkubelet/provider-eci';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { kubectlOf } from '../support/kubectl.js';
import { startVirtualNode, type VirtualNode } from '../support/virtual-node.js';

/**
 * kubectl → kube-apiserver (scheduler included) → VirtualKubelet → ECI provider → the ECI emulator
 * (every request signed and checked; containers on the mock's process model): `kubectl run` becomes
 * a tagged container group, `kubectl logs` and `kubectl exec` (with exit codes) work, ECI's events
 * show on the pod, an unsupported pod fails naming the field, `kubectl delete` deletes the group,
 * and a restarted agent adopts the running group without creating anything.
 */
const NODE = 'vk-eci-e2e';
const SECURITY_GROUP = 'sg-e2e0000000001';
const VSWITCH = 'vsw-e2e0000000001';

let cp: ControlPlane;
let emulator: EciEmulator;
let node: VirtualNode | undefined;
let dir: string;
let configPath: string;

const { run: kubectl, ok: kubectlOk, pod: getPod } = kubectlOf(() => cp);

/** `kubectl run` onto the virtual node (its selector and toleration through --overrides). */
function run(name: string, script: string, spec: Record<string, unknown> = {}): Promise<string> {
  const overrides = {
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      ...spec,
    },
  };
  return kubectlOk([
    'run',
    name,
    '--image=busybox',
    '--restart=Never',
    `--overrides=${JSON.stringify(overrides)}`,
    '--',
    'sh',
    '-c',
    script,
  ]);
}

async function waitForPhase(name: string, phase: string): Promise<V1Pod> {
  return vi.waitFor(
    async () => {
      const pod = await getPod(name);
      if (pod.status?.phase !== phase)
        throw new Error(`phase ${pod.status?.phase} ${pod.status?.message ?? ''}`);
      return pod;
    },
    { timeout: 60_000, interval: 300 },
  );
}

/** The groups the emulator holds for a pod UID. */
function groupsOf(uid: string) {
  return emulator.groups().filter(group => group.tags[TAG.uid] === uid);
}

beforeAll(async () => {
  [cp, emulator] = await Promise.all([
    startControlPlane({ name: 'eci-e2e' }),
    startEciEmulator({
      securityGroupIds: [SECURITY_GROUP],
      vSwitchIds: [VSWITCH],
      timing: { schedulingMs: 100, pendingMs: 100, restartBackoffMs: 200 },
    }),
  ]);
  // The key comes from the environment, as on a real node; the rest from the config file.
  process.env['ECI_ACCESS_KEY'] = emulator.accessKeyId;
  process.env['ECI_SECRET_KEY'] = emulator.accessKeySecret;
  dir = await mkdtemp(join(tmpdir(), 'vk-eci-e2e-'));
  configPath = join(dir, 'eci.yaml');
  await writeFile(
    configPath,
    [
      `region: ${emulator.regionId}`,
      `endpoint: ${emulator.endpoint}`,
      `securityGroupId: ${SECURITY_GROUP}`,
      `vSwitchIds: [${VSWITCH}]`,
      'clusterName: e2e',
      'statusIntervalMs: 250',
      'logPollIntervalMs: 250',
      "capacity: { cpu: '64', memory: 256Gi, pods: '50' }",
      '',
    ].join('\n'),
  );
  node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
}, 180_000);

afterAll(async () => {
  await node?.stop();
  await emulator?.stop();
  await cp?.stop();
  delete process.env['ECI_ACCESS_KEY'];
  delete process.env['ECI_SECRET_KEY'];
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('ECI provider through the API server', () => {
  it('advertises the configured capacity and the region on the node', async () => {
    const vk = JSON.parse(await kubectlOk(['get', 'node', NODE, '-o', 'json'])) as {
      metadata: { labels: Record<string, string> };
      status: { capacity: Record<string, string> };
    };
    expect(vk.status.capacity).toMatchObject({ cpu: '64', memory: '256Gi', pods: '50' });
    expect(vk.metadata.labels['topology.kubernetes.io/region']).toBe(emulator.regionId);
  });

  it('kubectl run, logs, exec with exit codes, events, delete', async () => {
    await vi.waitFor(() => run('demo', 'echo hello; sleep 3600'), { timeout: 30_000, interval: 500 });
    await kubectlOk(['wait', '--for=condition=Ready', 'pod/demo', '--timeout=60s']);
    const demo = await getPod('demo');
    expect(demo.status?.podIP).toMatch(/^192\.168\.\d+\.\d+$/);
    const [group] = groupsOf(demo.metadata!.uid!);
    expect(group).toMatchObject({
      name: 'default-demo',
      status: 'Running',
      tags: { [TAG.cluster]: 'e2e', [TAG.node]: NODE, [TAG.namespace]: 'default', [TAG.name]: 'demo' },
    });

    expect(await kubectlOk(['logs', 'demo'])).toBe('hello\n');
    expect(await kubectlOk(['exec', 'demo', '--', 'echo', 'hi'])).toBe('hi\n');
    const failing = await kubectl(['exec', 'demo', '--', 'sh', '-c', 'echo to-stderr >&2; exit 3']);
    expect(failing).toMatchObject({ code: 3, stdout: '' });
    expect(failing.stderr).toContain('to-stderr');
    expect((await kubectl(['exec', '-i', 'demo', '--', 'cat'], 'piped\n')).stdout).toBe('piped\n');

    // ECI's own events of the group, on the pod.
    const events = await vi.waitFor(
      async () => {
        const text = await kubectlOk([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=demo',
          '-o',
          'json',
        ]);
        const reasons = (JSON.parse(text) as { items: Array<{ reason: string }> }).items.map(
          event => event.reason,
        );
        if (!reasons.includes('Started')) throw new Error(`events so far: ${reasons.join(', ')}`);
        return reasons;
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(events).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));

    await kubectlOk(['delete', 'pod', 'demo', '--wait=true', '--timeout=60s']);
    expect(groupsOf(demo.metadata!.uid!)).toEqual([]);
  });

  it('reports a container exit code and fails a pod ECI cannot run, naming the field', async () => {
    await run('job', 'echo working; exit 4');
    const job = await waitForPhase('job', 'Failed');
    expect(job.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 4,
      reason: 'Error',
    });
    expect(await kubectlOk(['logs', 'job'])).toBe('working\n');
    await kubectlOk(['delete', 'pod', 'job', '--wait=true', '--timeout=60s']);

    await run('host-net', 'sleep 3600', { hostNetwork: true });
    const refused = await waitForPhase('host-net', 'Failed');
    expect(refused.status?.reason).toBe('ProviderFailed');
    expect(refused.status?.message).toContain('spec.hostNetwork');
    expect(groupsOf(refused.metadata!.uid!)).toEqual([]);
    await kubectlOk(['delete', 'pod', 'host-net', '--wait=true', '--timeout=60s']);
  });

  it('a restarted virtual-kubelet adopts the running group and creates nothing', async () => {
    await run('keep', 'echo kept; sleep 3600');
    const keep = await waitForPhase('keep', 'Running');
    const uid = keep.metadata!.uid!;
    const before = groupsOf(uid);
    expect(before).toHaveLength(1);

    await node!.stop();
    const creates = emulator.callCount('CreateContainerGroup');
    node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
    // Long enough for start-up reconciliation and a few status rounds.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    expect(emulator.callCount('CreateContainerGroup')).toBe(creates);
    expect(groupsOf(uid)).toEqual(before);
    expect((await getPod('keep')).status?.phase).toBe('Running');
    expect(await kubectlOk(['logs', 'keep'])).toBe('kept\n');
    expect((await kubectl(['exec', 'keep', '--', 'sh', '-c', 'exit 5'])).code).toBe(5);
    await kubectlOk(['delete', 'pod', 'keep', '--wait=true', '--timeout=60s']);
    expect(groupsOf(uid)).toEqual([]);
  });
});
