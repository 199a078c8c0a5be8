import { PassThrough, Readable } from 'node:stream';

import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { AciEmulator } from '@vkubelet/aci-emulator';
import {
  applyLogOptions,
  END_OF_HISTORY,
  isInvalidInput,
  isTransient,
  type AttachIO,
  type PodRef,
} from '@vkubelet/provider-kit';
import { fakeProviderContext, type FakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { containerGroupName, groupTags, TAG } from '../../src/group/naming.js';
import { createAciProvider } from '../../src/plugin.js';
import type { AciProvider } from '../../src/provider.js';
import type { AciConfigInput } from '../../src/config.js';
import { emulatorConfig, sdkClient, shellPod, startEmulator, subnetOf } from '../support/emulator.js';

const NODE = 'vk-test';
let aci: AciEmulator;
let client: ContainerInstanceManagementClient;
const providers: AciProvider[] = [];

const call = () => ({ signal: AbortSignal.timeout(20_000) });
const ref = (pod: V1Pod): PodRef => ({
  namespace: 'default',
  name: pod.metadata!.name!,
  uid: pod.metadata!.uid!,
});
const groupOf = (pod: V1Pod) => containerGroupName('default', pod.metadata!.name!);

async function provider(
  overrides: Partial<AciConfigInput> = {},
  context: FakeProviderContext = fakeProviderContext({ nodeName: NODE }),
): Promise<AciProvider> {
  const created = await createAciProvider(context, {
    config: emulatorConfig(aci, { subnetId: subnetOf(aci), ...overrides }),
  });
  providers.push(created);
  return created;
}

async function waitForStatus(
  p: AciProvider,
  pod: V1Pod,
  accept: (status: V1PodStatus) => boolean,
  timeout = 15_000,
): Promise<V1PodStatus> {
  return vi.waitFor(
    async () => {
      const status = await p.getPodStatus('default', pod.metadata!.name!, call());
      if (!accept(status)) throw new Error(`status ${JSON.stringify(status)}`);
      return status;
    },
    { timeout, interval: 50 },
  );
}

const puts = (pod: V1Pod) =>
  aci.requests().filter(r => r.method === 'PUT' && r.url.includes(`/containerGroups/${groupOf(pod)}?`));

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function exec(p: AciProvider, pod: V1Pod, command: string[], io: Partial<AttachIO> = {}) {
  const out = sink();
  const code = await p.runInContainer(
    ref(pod),
    'app',
    command,
    { stdout: out.stream, tty: false, ...io },
    call(),
  );
  return { code, stdout: out.text() };
}

beforeAll(async () => {
  aci = await startEmulator();
  client = sdkClient(aci);
});

afterEach(() => aci.faults.reset());

afterAll(async () => {
  for (const p of providers) await p.close();
  // Nothing the provider sent is something Azure's API definition would not take.
  expect(aci?.faithfulnessViolations('request')).toEqual([]);
  await aci?.stop();
});

describe('ACI provider against the emulator', () => {
  it('runs a pod as a tagged group in the subnet, with secret env hidden from ARM but given to the process', async () => {
    const p = await provider({ clusterName: 'blue' });
    const pod = shellPod('env', 'echo started; sleep 600', {
      restartPolicy: 'Always',
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'sleep 600'],
          env: [
            { name: 'PLAIN', value: 'visible' },
            { name: 'TOKEN', value: 's3cr3t', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
          ],
        },
      ],
    });
    await p.createPod(pod, call());
    const status = await waitForStatus(p, pod, s => s.phase === 'Running');
    expect(status.podIP).toMatch(/^10\.240\./);
    const group = await client.containerGroups.get(aci.resourceGroup, groupOf(pod));
    expect(group.tags).toEqual({
      [TAG.uid]: pod.metadata!.uid,
      [TAG.namespace]: 'default',
      [TAG.name]: 'env',
      [TAG.node]: NODE,
      [TAG.cluster]: 'blue',
    });
    expect(group.containers[0]!.environmentVariables).toEqual([
      { name: 'PLAIN', value: 'visible' },
      { name: 'TOKEN' },
    ]);
    const { code, stdout } = await exec(p, pod, ['env']);
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['PLAIN=visible', 'TOKEN=s3cr3t']));
    await p.deletePod(pod, call());
    await expect(client.containerGroups.get(aci.resourceGroup, groupOf(pod))).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('records ACI events on the pod once each', async () => {
    const context = fakeProviderContext({ nodeName: NODE });
    const p = await provider({}, context);
    const pod = shellPod('events', 'sleep 600', { restartPolicy: 'Always' });
    await p.createPod(pod, call());
    await waitForStatus(p, pod, s => s.phase === 'Running');
    await vi.waitFor(() => expect(context.recordedEvents.map(e => e.reason)).toContain('Started'), {
      timeout: 5_000,
    });
    // Further rounds record nothing new.
    const seen = context.recordedEvents.length;
    await new Promise(resolve => setTimeout(resolve, 600));
    expect(context.recordedEvents.length).toBe(seen);
    expect(
      context.recordedEvents.filter(e => e.pod.metadata?.name === 'events').map(e => `${e.type} ${e.reason}`),
    ).toEqual(['Normal Pulling', 'Normal Pulled', 'Normal Created', 'Normal Started']);
    await p.deletePod(pod, call());
  });

  it('reports exits, restarts and previous states of an OnFailure pod', async () => {
    const p = await provider();
    const pod = shellPod('flappy', 'echo run; sleep 0.2; exit 3', { restartPolicy: 'OnFailure' });
    await p.createPod(pod, call());
    const status = await waitForStatus(p, pod, s => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(status.containerStatuses![0]!.lastState?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    await p.deletePod(pod, call());
  });

  it('creates one group per UID: a second create, a restarted agent and a retry after a lost answer find it', async () => {
    const first = await provider();
    const pod = shellPod('once', 'sleep 600', { restartPolicy: 'Always' });
    await Promise.all([first.createPod(pod, call()), first.createPod(pod, call())]);
    await waitForStatus(first, pod, s => s.phase === 'Running');
    expect(puts(pod)).toHaveLength(1);

    // A restarted agent adopts the group, reports it Running from its first status, creates nothing.
    await first.close();
    const restarted = await provider();
    expect((await restarted.getPodStatus('default', 'once', call())).phase).toBe('Running');
    await restarted.createPod(pod, call());
    expect(puts(pod)).toHaveLength(1);

    // A runtime that lost the answer of its PUT (it does not track the pod) finds it by name and UID.
    const fresh = await createAciProvider(fakeProviderContext({ nodeName: 'another-node' }), {
      config: emulatorConfig(aci, { subnetId: subnetOf(aci) }),
    });
    providers.push(fresh);
    await expect(fresh.getPod('default', 'once', call())).rejects.toThrow();
    await fresh.createPod(pod, call());
    expect(puts(pod)).toHaveLength(1);
    await restarted.deletePod(pod, call());
  });

  it('replaces the group of an earlier pod of the same name, and leaves one of another node alone', async () => {
    const p = await provider();
    const pod = shellPod('reused', 'sleep 600', { restartPolicy: 'Always' });
    const name = groupOf(pod);
    const group = (uid: string, nodeName: string) => ({
      location: aci.location,
      osType: 'Linux',
      tags: groupTags({ namespace: 'default', name: 'reused', uid }, { nodeName }),
      containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: 0.1, memoryInGB: 0.1 } } }],
    });

    await client.containerGroups.beginCreateOrUpdateAndWait(
      aci.resourceGroup,
      name,
      group('old-uid', 'other-node'),
      {
        updateIntervalInMs: 20,
      },
    );
    const refused = await p.createPod(pod, call()).catch((err: unknown) => err);
    expect(isTransient(refused)).toBe(true);
    expect(String(refused)).toContain('was not made by node vk-test; it is left alone');
    expect((await client.containerGroups.get(aci.resourceGroup, name)).tags?.[TAG.uid]).toBe('old-uid');

    await client.containerGroups.beginCreateOrUpdateAndWait(aci.resourceGroup, name, group('old-uid', NODE), {
      updateIntervalInMs: 20,
    });
    const replacing = await p.createPod(pod, call()).catch((err: unknown) => err);
    expect(String(replacing)).toContain('replacing container group');
    await p.createPod(pod, call());
    await waitForStatus(p, pod, s => s.phase === 'Running');
    expect((await client.containerGroups.get(aci.resourceGroup, name)).tags?.[TAG.uid]).toBe(
      pod.metadata!.uid,
    );
    await p.deletePod(pod, call());
  });

  it('fails a pod whose group vanished, and one whose image ACI cannot pull', async () => {
    const p = await provider();
    const vanishing = shellPod('vanishing', 'sleep 600', { restartPolicy: 'Always' });
    await p.createPod(vanishing, call());
    await waitForStatus(p, vanishing, s => s.phase === 'Running');
    aci.faults.deleteContainerGroup({ resourceGroup: aci.resourceGroup, name: groupOf(vanishing) });
    const gone = await waitForStatus(p, vanishing, s => s.phase === 'Failed');
    expect(gone.reason).toBe('NotFound');
    await p.deletePod(vanishing, call());

    aci.faults.failImagePulls({ imageIncludes: 'no-such-image' });
    const unpullable: V1Pod = {
      ...shellPod('unpullable', 'true'),
    };
    unpullable.spec!.containers[0]!.image = 'registry.example.com/no-such-image:1';
    await p.createPod(unpullable, call());
    const failed = await waitForStatus(p, unpullable, s => s.phase === 'Failed');
    expect(failed.reason).toBe('ProvisioningFailed');
    expect(failed.message).toMatch(/pull(ing)? image "registry\.example\.com\/no-such-image:1"/);
    expect(failed.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    await p.deletePod(unpullable, call());
  });

  it('keeps a pod waiting while the quota is full, and gets through an ARM throttling storm', async () => {
    const p = await provider();
    aci.faults.setQuota({ containerGroups: 0 });
    const pod = shellPod('quota', 'sleep 600', { restartPolicy: 'Always' });
    const full = await p.createPod(pod, call()).catch((err: unknown) => err);
    expect(isTransient(full)).toBe(true);
    expect(String(full)).toContain('ContainerGroupQuotaReached');
    aci.faults.reset();

    aci.faults.throttle({ durationMs: 1_500, retryAfterSeconds: 1 });
    await p.createPod(pod, call());
    await waitForStatus(p, pod, s => s.phase === 'Running', 20_000);
    expect(aci.requests().some(r => r.status === 429)).toBe(true);
    await p.deletePod(pod, call());
  });

  it('follows a deleting group (202) until it is gone', async () => {
    const p = await provider();
    aci.faults.setProvisioningDelays({ deleteMs: 500 });
    const pod = shellPod('slow-delete', 'sleep 600', { restartPolicy: 'Always' });
    await p.createPod(pod, call());
    await waitForStatus(p, pod, s => s.phase === 'Running');
    await p.deletePod(pod, call());
    expect(aci.requests().some(r => r.method === 'DELETE' && r.status === 202)).toBe(true);
    // The pod is forgotten once its containers have stopped; ARM finishes the delete it accepted.
    await vi.waitFor(() => expect(p.pods.get(pod.metadata!.uid!)).toBeUndefined(), { timeout: 10_000 });
    await vi.waitFor(
      () =>
        expect(client.containerGroups.get(aci.resourceGroup, groupOf(pod))).rejects.toMatchObject({
          statusCode: 404,
        }),
      { timeout: 10_000 },
    );
  });

  it('refuses a pod ACI cannot run before creating anything', async () => {
    const p = await provider();
    const pod = shellPod('refused', 'true', { hostNetwork: true });
    const error = await p.createPod(pod, call()).catch((err: unknown) => err);
    expect(isInvalidInput(error)).toBe(true);
    expect(puts(pod)).toHaveLength(0);
  });
});

describe('logs, exec and attach', () => {
  let p: AciProvider;
  let pod: V1Pod;

  beforeAll(async () => {
    p = await provider();
    pod = shellPod('streams', 'echo one; sleep 0.3; echo two; sleep 0.3; echo three; sleep 600', {
      restartPolicy: 'Always',
    });
    await p.createPod(pod, call());
    await waitForStatus(p, pod, s => s.phase === 'Running');
  });

  it('follows the log with every line once', async () => {
    const abort = new AbortController();
    const options = { follow: true, previous: false, timestamps: false };
    const items = await p.getContainerLogs(ref(pod), 'app', { ...options, signal: abort.signal });
    const lines: string[] = [];
    const reading = (async () => {
      for await (const item of items) if (item !== END_OF_HISTORY) lines.push(item.text);
    })();
    await vi.waitFor(() => expect(lines).toContain('three'), { timeout: 5_000 });
    await new Promise(resolve => setTimeout(resolve, 500));
    abort.abort();
    await reading;
    expect(lines).toEqual(['one', 'two', 'three']);
    const tail: string[] = [];
    const tailOptions = { follow: false, previous: false, timestamps: true, tailLines: 1 };
    for await (const line of applyLogOptions(
      await p.getContainerLogs(ref(pod), 'app', { ...tailOptions, ...call() }),
      tailOptions,
    ))
      tail.push(line.toString());
    expect(tail).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/)]);
    await expect(
      p.getContainerLogs(ref(pod), 'app', { ...options, previous: true, ...call() }),
    ).rejects.toThrow(/previous/);
  });

  it('execs with exit codes and stdout through the shell marker, stdin for a lone command', async () => {
    expect(await exec(p, pod, ['sh', '-c', 'echo out; echo err >&2; exit 5'])).toEqual({
      code: 5,
      stdout: 'out\nerr\n',
    });
    expect(await exec(p, pod, ['false'])).toEqual({ code: 1, stdout: '' });
    expect(await exec(p, pod, ['echo', "it's", 'a  b'])).toEqual({ code: 0, stdout: "it's a  b\n" });
    const cat = await exec(p, pod, ['cat'], { stdin: Readable.from([Buffer.from('in one\nin two\n')]) });
    expect(cat).toEqual({ code: 0, stdout: 'in one\nin two\n' });
  });

  it('keeps CR LF for a terminal client, and reports 0 with exit codes off', async () => {
    expect(await exec(p, pod, ['echo', 'tty'], { tty: true })).toEqual({ code: 0, stdout: 'tty\r\n' });
    const plain = await provider({ exec: { exitCode: 'none' } });
    expect(await exec(plain, pod, ['false'])).toEqual({ code: 0, stdout: '' });
  });

  it('refuses exec in a container that does not run', async () => {
    const done = shellPod('finished', 'true');
    await p.createPod(done, call());
    await waitForStatus(p, done, s => s.phase === 'Succeeded');
    const error = await exec(p, done, ['true']).catch((err: unknown) => err);
    expect(isInvalidInput(error)).toBe(true);
    await p.deletePod(done, call());
  });

  it('reports stats from Azure Monitor, the CPU time growing', async () => {
    const first = await p.getStatsSummary(call());
    const mine = first.pods.find(s => s.podRef.uid === pod.metadata!.uid)!;
    expect(mine.containers[0]!.cpu?.usageNanoCores).toBeGreaterThan(0);
    expect(mine.containers[0]!.memory?.workingSetBytes).toBeGreaterThan(0);
    await new Promise(resolve => setTimeout(resolve, 100));
    const second = await p.getStatsSummary(call());
    const later = second.pods.find(s => s.podRef.uid === pod.metadata!.uid)!;
    expect(later.containers[0]!.cpu!.usageCoreNanoSeconds!).toBeGreaterThan(
      mine.containers[0]!.cpu!.usageCoreNanoSeconds!,
    );
    expect(second.node.cpu?.usageNanoCores).toBeGreaterThan(0);
  });

  it('advertises the region quotas as capacity and answers ping', async () => {
    const node = { metadata: { name: NODE, labels: {} }, status: {} };
    p.configureNode(node);
    expect(node).toMatchObject({
      metadata: { labels: { 'kubernetes.io/os': 'linux' } },
      status: { capacity: { cpu: '100', memory: '4Ti', pods: '100' } },
    });
    await p.ping(call());
  });
});

describe('start-up', () => {
  it('fails at once, saying why, when Entra ID refuses the credentials', async () => {
    const error = await createAciProvider(fakeProviderContext({ nodeName: NODE }), {
      config: emulatorConfig(aci, { clientSecret: 'wrong', maxRetries: 0 }),
    }).catch((err: unknown) => err);
    expect(String(error)).toContain('AADSTS7000215');
  });
});
