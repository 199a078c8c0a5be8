import type { EciEmulator } from '@vkubelet/eci-emulator';
import { errorMessage, isInvalidInput, isTransient } from '@vkubelet/provider-kit';
import type { FakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { EciBackend } from '../../src/backend.js';
import { EciClient } from '../../src/client/eci-client.js';
import { TAG } from '../../src/identity.js';
import type { EciProvider } from '../../src/provider.js';
import {
  call,
  eciProvider,
  pod,
  SECURITY_GROUP,
  shellPod,
  startEmulator,
  VSWITCH,
  waitForPod,
} from '../support/eci.js';

let emulator: EciEmulator;
const providers: EciProvider[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ sts: true });
});
afterEach(async () => {
  emulator.faults.clear();
  for (const provider of providers.splice(0)) {
    for (const record of provider.pods.list())
      await provider.deletePod(record.pod, call()).catch(() => undefined);
    await provider.close();
  }
});
afterAll(() => emulator?.stop());

async function start(overrides: Parameters<typeof eciProvider>[1] = {}) {
  const started = await eciProvider(emulator, overrides);
  providers.push(started.provider);
  return started;
}

/** A client of the test emulator that sends each request once (no retry hides a call). */
function testClient(): EciClient {
  return new EciClient({
    endpoint: emulator.endpoint,
    regionId: emulator.regionId,
    credentials: emulator,
    timeoutMs: 5_000,
    maxAttempts: 1,
  });
}

/** A backend of the same node and cluster as the test providers, called directly (no loop of its own). */
function backendBeside(
  context: FakeProviderContext,
  refreshBySummary: boolean,
  client: EciClient = testClient(),
): EciBackend {
  return new EciBackend({
    client,
    settings: {
      clusterName: 'test',
      nodeName: 'vk-eci-test',
      securityGroupId: SECURITY_GROUP,
      vSwitchIds: [VSWITCH],
    },
    resources: context.resources,
    events: context.events,
    refreshBySummary,
    logger: context.logger,
  });
}

const running = (provider: EciProvider, subject: ReturnType<typeof shellPod>) =>
  waitForPod(provider, subject, p => p.status?.phase === 'Running');

/** ECI requests of `action` answered while `work` ran. */
async function callsDuring(actions: string[], work: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = actions.map(action => emulator.callCount(action));
  await work();
  return Object.fromEntries(actions.map((action, i) => [action, emulator.callCount(action) - before[i]!]));
}

describe('start-up', () => {
  it('refuses a wrong secret, an unknown key and a region ECI does not offer in one line each', async () => {
    const refusal = async (overrides: Parameters<typeof eciProvider>[1]) => {
      const error = await eciProvider(emulator, overrides).catch((caught: unknown) => caught);
      expect(isInvalidInput(error), String(error)).toBe(true);
      const message = errorMessage(error);
      expect(message).not.toContain('\n');
      return message;
    };
    expect(await refusal({ accessKeySecret: 'wrong' })).toMatch(
      /^ECI refused the credentials \(ECI_ACCESS_KEY\/ECI_SECRET_KEY\): DescribeRegions: SignatureDoesNotMatch: /,
    );
    expect(await refusal({ accessKeyId: 'LTAInobody' })).toMatch(/InvalidAccessKeyId\.NotFound/);
    expect(await refusal({ region: 'cn-beijing' })).toMatch(/InvalidRegionId/);
    const unreachable = await eciProvider(emulator, { endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }).catch(
      (caught: unknown) => caught as Error,
    );
    expect(isInvalidInput(unreachable)).toBe(false);
    expect(errorMessage(unreachable)).toMatch(
      /^cannot reach ECI at http:\/\/127\.0\.0\.1:1: DescribeRegions: /,
    );
  });

  it('runs pods with an STS key and its security token; an expired token fails the ping, not the pods', async () => {
    const sts = emulator.sts!;
    const { provider } = await start({
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      securityToken: sts.securityToken,
    });
    const subject = shellPod('sts', 'sleep 3600');
    await provider.createPod(subject, call());
    await running(provider, subject);
    emulator.faults.expireSecurityToken();
    await expect(provider.ping(call())).rejects.toThrow(/InvalidSecurityToken\.Expired/);
  });
});

describe('create, refresh, delete', () => {
  it('creates one tagged group per pod; a repeated create (a lost answer) gets the same group', async () => {
    const { provider, context } = await start();
    const subject = shellPod('once', 'sleep 3600');
    await provider.createPod(subject, call());
    await provider.createPod(subject, call());
    const groups = emulator.groups().filter(group => group.tags[TAG.uid] === subject.metadata!.uid);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.tags).toEqual({
      [TAG.cluster]: 'test',
      [TAG.node]: 'vk-eci-test',
      [TAG.namespace]: 'default',
      [TAG.name]: 'once',
      [TAG.uid]: subject.metadata!.uid,
    });
    // The backend's create, called again as after an answer lost on the way: ClientToken = UID.
    const backend = backendBeside(context, true);
    const again = await backend.create(subject, call());
    expect(again.group.ContainerGroupId).toBe(groups[0]!.containerGroupId);
    backend.close();
  });

  it('retries throttled requests with backoff; past maxAttempts the error is transient and a retry succeeds', async () => {
    const { provider } = await start();
    emulator.faults.throttle({ times: 2, actions: ['CreateContainerGroup'] });
    const first = shellPod('throttled', 'sleep 3600');
    await provider.createPod(first, call());
    expect(emulator.callCount('CreateContainerGroup', 'Throttling.User')).toBeGreaterThanOrEqual(2);

    emulator.faults.throttle({ actions: ['CreateContainerGroup'] });
    const second = shellPod('throttled-long', 'sleep 3600');
    const error = await provider.createPod(second, call()).catch((caught: unknown) => caught);
    expect(isTransient(error)).toBe(true);
    expect(errorMessage(error)).toMatch(/^CreateContainerGroup: Throttling\.User: /);
    emulator.faults.clear();
    await provider.createPod(second, call());
    await running(provider, second);
    expect(emulator.groups().filter(group => group.tags[TAG.name] === 'throttled-long')).toHaveLength(1);
  });

  it('reads a node of settled pods with one summary request per round and describes none', async () => {
    const { provider, context } = await start({ statusIntervalMs: 100 });
    const pods = Array.from({ length: 25 }, (_, i) => shellPod(`many-${i}`, 'sleep 3600'));
    await Promise.all(pods.map(subject => provider.createPod(subject, call())));
    await Promise.all(pods.map(subject => running(provider, subject)));
    const records = provider.pods.list();
    const measure = async (refreshBySummary: boolean) => {
      // Counted at this backend's client: the provider's own loop reads the emulator meanwhile.
      const client = testClient();
      const requests = vi.spyOn(client, 'request');
      const backend = backendBeside(context, refreshBySummary, client);
      // One round to learn the summaries, as the provider's loop already has.
      let current = records.map(record => ({ ...record, state: record.state }));
      const round = async () => {
        const states = await backend.refresh(current, call());
        current = current.map(record => ({ ...record, state: states.get(record.uid) ?? record.state }));
        return states;
      };
      await round();
      requests.mockClear();
      await round();
      backend.close();
      const sent = requests.mock.calls.map(([action]) => action);
      return Object.fromEntries(
        ['DescribeContainerGroupStatus', 'DescribeContainerGroups'].map(action => [
          action,
          sent.filter(name => name === action).length,
        ]),
      );
    };
    const bySummary = await measure(true);
    const byDescribe = await measure(false);
    console.log(
      `calls per refresh round, 25 running pods: summaries ${JSON.stringify(bySummary)}, ` +
        `describe only ${JSON.stringify(byDescribe)}`,
    );
    expect(bySummary).toEqual({ DescribeContainerGroupStatus: 1, DescribeContainerGroups: 0 });
    expect(byDescribe).toEqual({ DescribeContainerGroupStatus: 0, DescribeContainerGroups: 2 });
  });

  it('deletes the group; a group deleted behind its back fails the pod with NotFound', async () => {
    const { provider } = await start();
    const kept = shellPod('kept', 'sleep 3600');
    const vanished = shellPod('vanished', 'sleep 3600');
    await provider.createPod(kept, call());
    await provider.createPod(vanished, call());
    await running(provider, kept);
    await running(provider, vanished);
    const id = provider.pods.get(vanished.metadata!.uid!)!.state.group.ContainerGroupId;
    expect(emulator.faults.deleteOutOfBand(id)).toBe(true);
    const failed = await waitForPod(provider, vanished, p => p.status?.phase === 'Failed');
    expect(failed.status?.reason).toBe('NotFound');
    await provider.deletePod(kept, call());
    expect(emulator.groups().some(group => group.tags[TAG.name] === 'kept')).toBe(false);
    await expect(provider.getPod('default', 'kept', call())).rejects.toThrow(/not found/);
  });

  it('fails a pod ECI cannot place, with its FailedScheduling event on the pod', async () => {
    const { provider, context } = await start();
    const gpu = pod('gpu', [
      { name: 'app', image: 'cuda', resources: { limits: { 'nvidia.com/gpu': '1' } } },
    ]);
    await provider.createPod(gpu, call());
    const failed = await waitForPod(provider, gpu, p => p.status?.phase === 'Failed');
    expect(failed.status?.reason).toBe('ScheduleFailed');
    expect(failed.status?.message).toMatch(/out of stock/);
    expect(
      context.recordedEvents.map(event => [event.pod.metadata?.name, event.type, event.reason]),
    ).toContainEqual(['gpu', 'Warning', 'FailedScheduling']);
  });

  it("re-emits the group's events as the pod's, each once", async () => {
    const { provider, context } = await start();
    const subject = shellPod('events', 'sleep 3600');
    await provider.createPod(subject, call());
    await running(provider, subject);
    await new Promise(resolve => setTimeout(resolve, 500));
    const reasons = context.recordedEvents
      .filter(event => event.pod.metadata?.uid === subject.metadata!.uid)
      .map(event => event.reason);
    expect(reasons).toEqual(['Scheduled', 'Pulled', 'Created', 'Started']);
  });
});

describe('restart of the agent', () => {
  it('adopts the groups of its node and cluster, creates nothing, repeats no event', async () => {
    const { provider } = await start();
    const subjects = [
      shellPod('adopt-a', 'sleep 3600'),
      shellPod('adopt-b', 'echo done', { restartPolicy: 'Never' }),
    ];
    for (const subject of subjects) await provider.createPod(subject, call());
    await running(provider, subjects[0]!);
    await waitForPod(provider, subjects[1]!, p => p.status?.phase === 'Succeeded');
    // Another cluster's group on a node of the same name is not ours.
    const { provider: other } = await start({ clusterName: 'other' });
    await other.createPod(shellPod('not-mine', 'sleep 3600'), call());
    await provider.close();
    providers.splice(providers.indexOf(provider), 1);

    const creates = emulator.callCount('CreateContainerGroup');
    const restarted = await start();
    expect(
      restarted.provider.pods
        .list()
        .map(record => record.name)
        .sort(),
    ).toEqual(['adopt-a', 'adopt-b']);
    await running(restarted.provider, subjects[0]!);
    // Core hands the restarted agent every pod again: nothing is created.
    for (const subject of subjects) await restarted.provider.createPod(subject, call());
    await waitForPod(restarted.provider, subjects[1]!, p => p.status?.phase === 'Succeeded');
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(emulator.callCount('CreateContainerGroup')).toBe(creates);
    expect(restarted.context.recordedEvents).toEqual([]);
  });
});

describe('updates', () => {
  it('sends a new image with UpdateContainerGroup; says what ECI cannot change', async () => {
    const { provider, context } = await start();
    const subject = shellPod('update', 'sleep 3600', { activeDeadlineSeconds: 3600 });
    await provider.createPod(subject, call());
    await running(provider, subject);
    const updated = structuredClone(subject);
    updated.spec!.containers[0]!.image = 'busybox:1.37';
    updated.spec!.activeDeadlineSeconds = 60;
    const calls = await callsDuring(['UpdateContainerGroup'], () => provider.updatePod(updated, call()));
    expect(calls).toEqual({ UpdateContainerGroup: 1 });
    const restarted = await waitForPod(
      provider,
      subject,
      p => p.status?.containerStatuses?.[0]?.image === 'busybox:1.37' && p.status.phase === 'Running',
    );
    expect(restarted.status?.containerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(1);
    expect(
      context.recordedEvents.filter(event => event.reason === 'UpdateNotApplied').map(event => event.note),
    ).toEqual([
      'ECI cannot change activeDeadlineSeconds of a container group that exists; the old value still applies',
    ]);
    // Labels and annotations change the pod only: nothing to send.
    const labelled = structuredClone(updated);
    labelled.metadata!.labels = { tier: 'web' };
    expect(await callsDuring(['UpdateContainerGroup'], () => provider.updatePod(labelled, call()))).toEqual({
      UpdateContainerGroup: 0,
    });
    expect((await provider.getPod('default', 'update', call())).metadata?.labels).toEqual({ tier: 'web' });
  });
});

describe('node', () => {
  it('advertises the configured capacity and region; pings with DescribeRegions', async () => {
    const { provider } = await start({ capacity: { cpu: '64', memory: '256Gi', pods: '100' } });
    const node = { metadata: { name: 'vk-eci-test' }, status: {} };
    provider.configureNode(node);
    expect(node).toMatchObject({
      metadata: { labels: { 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/region': 'cn-hangzhou' } },
      status: { capacity: { cpu: '64', memory: '256Gi', pods: '100' }, allocatable: { pods: '100' } },
    });
    expect(await callsDuring(['DescribeRegions'], () => provider.ping(call()))).toEqual({
      DescribeRegions: 1,
    });
    emulator.faults.fail({
      code: 'ServiceUnavailable',
      status: 503,
      times: 10,
      actions: ['DescribeRegions'],
    });
    await expect(provider.ping(call())).rejects.toThrow(/ServiceUnavailable/);
  });

  it('reports stats of running groups from DescribeMultiContainerGroupMetric', async () => {
    const { provider } = await start();
    const subject = shellPod('stats', 'sleep 3600');
    await provider.createPod(subject, call());
    await running(provider, subject);
    const summary = await provider.getStatsSummary(call());
    const stats = summary.pods.find(p => p.podRef.name === 'stats');
    expect(stats?.podRef.uid).toBe(subject.metadata!.uid);
    expect(stats?.cpu?.usageNanoCores).toBeGreaterThan(0);
    expect(stats?.memory?.workingSetBytes).toBeGreaterThan(0);
    expect(stats?.containers.map(c => c.name)).toEqual(['app']);
    expect(summary.node.nodeName).toBe('vk-eci-test');
  });
});
