import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ClientSecretCredential } from '@azure/identity';
import type { V1Pod } from '@kubernetes/client-node';
import { startAciEmulator, type AciEmulator } from '@vkubelet/aci-emulator';
import { containerGroupName, plugin, TAG } from '@vkubelet/provider-aci';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { kubectlHelpers } from '../support/kubectl.js';
import { startVirtualNode, type VirtualNode } from '../support/virtual-node.js';

/**
 * kubectl → kube-apiserver (scheduler included) → VirtualKubelet → ACI provider → the ACI emulator
 * through the real @azure/arm-containerinstance and @azure/identity clients: a pod becomes a tagged
 * container group with a private IP, `kubectl logs`, `exec` (with the command's exit code), `attach`
 * and events work, port-forward is refused with 501, a pod ACI cannot run fails naming the field,
 * deletion removes the group, and a restarted agent adopts the running group without a second PUT.
 */
const NODE = 'vk-aci-e2e';

let cp: ControlPlane;
let aci: AciEmulator;
let client: ContainerInstanceManagementClient;
let node: VirtualNode | undefined;
let dir: string;
let configPath: string;

const { kubectl, kubectlOk, getPod } = kubectlHelpers(() => cp);

async function waitPhase(name: string, phase: string): Promise<V1Pod> {
  return vi.waitFor(
    async () => {
      const p = await getPod(name);
      if (p.status?.phase !== phase) throw new Error(`phase ${p.status?.phase} ${p.status?.message ?? ''}`);
      return p;
    },
    { timeout: 60_000, interval: 300 },
  );
}

/** `kubectl run`-style pod on the virtual node; ACI needs the command (not args alone). */
function pod(
  name: string,
  script: string,
  extra: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script], ...container }],
      ...extra,
    },
  });
}

const puts = (name: string) =>
  aci
    .requests()
    .filter(
      r => r.method === 'PUT' && r.url.includes(`/containerGroups/${containerGroupName('default', name)}?`),
    );

beforeAll(async () => {
  [cp, aci] = await Promise.all([
    startControlPlane({ name: 'aci-e2e' }),
    startAciEmulator({ provisioning: { pendingMs: 200, creatingMs: 200 } }),
  ]);
  const credential = new ClientSecretCredential(aci.tenantId, aci.clientId, aci.clientSecret, {
    authorityHost: aci.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: aci.caPem },
  });
  client = new ContainerInstanceManagementClient(credential, aci.subscriptionId, {
    endpoint: aci.armEndpoint,
    tlsOptions: { ca: aci.caPem },
  });
  dir = await mkdtemp(join(tmpdir(), 'vk-aci-e2e-'));
  configPath = join(dir, 'aci.yaml');
  const subnet = `/subscriptions/${aci.subscriptionId}/resourceGroups/${aci.resourceGroup}/providers/Microsoft.Network/virtualNetworks/vk/subnets/aci`;
  await writeFile(
    configPath,
    [
      `subscriptionId: ${aci.subscriptionId}`,
      `resourceGroup: ${aci.resourceGroup}`,
      `region: ${aci.location}`,
      `tenantId: ${aci.tenantId}`,
      `clientId: ${aci.clientId}`,
      `clientSecret: ${JSON.stringify(aci.clientSecret)}`,
      `armEndpoint: ${aci.armEndpoint}`,
      `authorityHost: ${aci.authorityHost}`,
      'disableInstanceDiscovery: true',
      `caFile: ${aci.caFile}`,
      `subnetId: ${subnet}`,
      'clusterName: e2e',
      'statusIntervalMs: 300',
      'logPollIntervalMs: 300',
      '',
    ].join('\n'),
  );
  node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
}, 180_000);

afterAll(async () => {
  await node?.stop();
  // Nothing the provider sent in the whole run is something Azure's API definition would refuse.
  expect(aci?.faithfulnessViolations('request')).toEqual([]);
  await aci?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('ACI provider through the API server', () => {
  it("advertises the region's quotas as the node's capacity", async () => {
    const n = JSON.parse(await kubectlOk(['get', 'node', NODE, '-o', 'json'])) as {
      status: { capacity: Record<string, string> };
    };
    expect(n.status.capacity).toMatchObject({ cpu: '100', pods: '100', memory: '4Ti' });
  });

  it('runs a pod as a container group: logs, exec with exit codes, events, port-forward refused, delete', async () => {
    await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], pod('web', 'echo hello from aci; sleep 3600')), {
      timeout: 30_000,
      interval: 500,
    });
    const web = await waitPhase('web', 'Running');
    expect(web.status?.podIP).toMatch(/^10\.240\.\d+\.\d+$/);
    const group = await client.containerGroups.get(aci.resourceGroup, containerGroupName('default', 'web'));
    expect(group.tags).toMatchObject({
      [TAG.uid]: web.metadata!.uid,
      [TAG.node]: NODE,
      [TAG.cluster]: 'e2e',
    });

    expect(await kubectlOk(['logs', 'web'])).toBe('hello from aci\n');

    // ACI sends no exit status; the provider reads it back through the container's shell.
    const failing = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; exit 3']);
    expect(failing).toMatchObject({ code: 3, stdout: 'out\n' });
    expect(failing.stderr).toContain('command terminated with exit code 3');
    expect(await kubectl(['exec', 'web', '--', 'echo', 'hi'])).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(await kubectl(['exec', '-i', 'web', '--', 'cat'], 'typed in\n')).toMatchObject({
      code: 0,
      stdout: 'typed in\n',
    });

    const forward = await kubectl(['port-forward', 'pod/web', '18080:80'], undefined, 20_000);
    expect(forward.code).not.toBe(0);
    expect(forward.stderr).toMatch(/501 not implemented/i);

    // ACI's own events, recorded on the pod.
    const events = await vi.waitFor(
      async () => {
        const text = await kubectlOk([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=web',
          '-o',
          'json',
        ]);
        const reasons = (JSON.parse(text) as { items: Array<{ reason: string }> }).items.map(e => e.reason);
        if (!reasons.includes('Started')) throw new Error(`events: ${reasons.join(', ')}`);
        return reasons;
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(events).toEqual(expect.arrayContaining(['Pulling', 'Pulled', 'Started', 'ProviderCreateSuccess']));

    await kubectlOk(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
    await expect(
      client.containerGroups.get(aci.resourceGroup, containerGroupName('default', 'web')),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  it('attaches to the output of a container until it ends', async () => {
    await kubectlOk(
      ['apply', '-f', '-'],
      pod('talker', 'sleep 6; echo said after attaching; sleep 1', { restartPolicy: 'Never' }),
    );
    await waitPhase('talker', 'Running');
    const attached = await kubectl(['attach', 'talker', '-c', 'main'], undefined, 30_000);
    expect(attached.stdout).toContain('said after attaching\n');
    await waitPhase('talker', 'Succeeded');
    await kubectlOk(['delete', 'pod', 'talker', '--wait=true', '--timeout=60s']);
  });

  it('fails a pod ACI cannot run, naming the field', async () => {
    await kubectlOk(
      ['apply', '-f', '-'],
      pod('args-only', 'unused', {}, { command: undefined, args: ['--flag'] }),
    );
    const refused = await waitPhase('args-only', 'Failed');
    expect(refused.status?.reason).toBe('ProviderFailed');
    expect(refused.status?.message).toContain('spec.containers[0].args');
    expect(puts('args-only')).toHaveLength(0);
    await kubectlOk(['delete', 'pod', 'args-only', '--wait=true', '--timeout=60s']);
  });

  it('a restarted virtual-kubelet adopts the running group without creating a second one', async () => {
    await kubectlOk(['apply', '-f', '-'], pod('keep', 'echo kept; sleep 3600'));
    const keep = await waitPhase('keep', 'Running');
    expect(puts('keep')).toHaveLength(1);

    await node!.stop();
    node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
    // Long enough for start-up reconciliation and a few status rounds.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    expect(puts('keep')).toHaveLength(1);
    const after = await getPod('keep');
    expect(after.metadata?.uid).toBe(keep.metadata?.uid);
    expect(after.status?.phase).toBe('Running');
    expect(await kubectlOk(['logs', 'keep'])).toBe('kept\n');
    const groups: string[] = [];
    for await (const group of client.containerGroups.listByResourceGroup(aci.resourceGroup))
      groups.push(group.name ?? '');
    expect(groups).toEqual([containerGroupName('default', 'keep')]);
    await kubectlOk(['delete', 'pod', 'keep', '--wait=true', '--timeout=60s']);
  });
});
