import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type { V1Pod } from '@kubernetes/client-node';
import { startMoto, type MotoServer } from '@vkubelet/moto';
import { END_OF_HISTORY, isInvalidInput, isNotFound, noopLogger, type LogItem } from '@vkubelet/provider-kit';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createFargateProvider } from '../../src/plugin.js';
import type { FargateProvider } from '../../src/provider.js';

const region = 'eu-west-1';
const cluster = 'vk-it';
const logGroup = '/vk/pods';
const signal = new AbortController().signal;

let moto: MotoServer;
let subnets: string[];
let ecs: ECSClient;
let logs: CloudWatchLogsClient;
const providers: FargateProvider[] = [];

beforeAll(async () => {
  moto = await startMoto();
  // moto walks a task from RUNNING to STOPPED one step per DescribeTasks by default; keep it running.
  await moto.setTransition('ecs::task', { progression: 'manual', times: 1_000_000 });
  subnets = await moto.defaultSubnets(region);
  const clientConfig = { region, endpoint: moto.endpoint, credentials: moto.credentials };
  ecs = new ECSClient(clientConfig);
  logs = new CloudWatchLogsClient(clientConfig);
  await logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map(p => p.close()));
});

afterAll(async () => {
  ecs?.destroy();
  logs?.destroy();
  await moto?.stop();
});

async function provider(nodeName = 'vk-node-1'): Promise<FargateProvider> {
  const created = await createFargateProvider(
    { nodeName, logger: noopLogger },
    {
      config: {
        cluster,
        createCluster: true,
        region,
        endpoint: moto.endpoint,
        subnets,
        securityGroups: [],
        logGroup,
        executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecution',
        statusIntervalMs: 100,
        maxAttempts: 2,
      },
      clientOverrides: { credentials: moto.credentials },
    },
  );
  providers.push(created);
  return created;
}

function pod(name: string): V1Pod {
  return {
    metadata: { namespace: 'it', name, uid: randomUUID() },
    spec: {
      nodeName: 'vk-node-1',
      containers: [
        {
          name: 'app',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          resources: { requests: { cpu: '300m', memory: '600Mi' } },
        },
      ],
    },
  };
}

/** Resolves with the first pushed pod that matches. */
function nextStatus(target: FargateProvider, match: (pod: V1Pod) => boolean): Promise<V1Pod> {
  return new Promise(resolve => {
    target.notifyPods(p => {
      if (match(p)) resolve(p);
    });
  });
}

async function tasksStartedBy(uid: string): Promise<string[]> {
  const running = await ecs.send(new ListTasksCommand({ cluster, startedBy: uid, desiredStatus: 'RUNNING' }));
  const stopped = await ecs.send(new ListTasksCommand({ cluster, startedBy: uid, desiredStatus: 'STOPPED' }));
  return [...(running.taskArns ?? []), ...(stopped.taskArns ?? [])];
}

describe('Fargate provider against moto', () => {
  it('runs a pod as one tagged Fargate task and reports it Running with its IP', async () => {
    const p = await provider();
    const web = pod('web');
    const running = nextStatus(
      p,
      x => x.metadata?.uid === web.metadata?.uid && x.status?.phase === 'Running',
    );
    await p.createPod(web, { signal });

    const pushed = await running;
    // Once Running, an unchanged task is described every 100 ms but not re-notified.
    let later = 0;
    p.notifyPods(x => {
      if (x.metadata?.uid === web.metadata?.uid) later++;
    });
    const settled = later;
    await new Promise(resolve => setTimeout(resolve, 600));
    expect(later).toBe(settled);
    expect(pushed.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await p.getPod('it', 'web', { signal })).status?.phase).toBe('Running');
    expect((await p.getPods({ signal })).map(x => x.metadata?.uid)).toContain(web.metadata?.uid);

    const arns = await tasksStartedBy(web.metadata!.uid!);
    expect(arns).toHaveLength(1);
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns, include: ['TAGS'] }));
    const task = tasks?.[0];
    expect(task?.launchType).toBe('FARGATE');
    expect(task?.tags).toEqual(
      expect.arrayContaining([
        { key: 'vkubelet.io/pod-uid', value: web.metadata!.uid },
        { key: 'vkubelet.io/node', value: 'vk-node-1' },
      ]),
    );
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: task!.taskDefinitionArn! }),
    );
    expect(taskDefinition).toMatchObject({
      family: 'vk-it-web',
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
    });
  });

  it('never starts a second task for the same pod, even from a fresh process', async () => {
    const first = await provider();
    const twice = pod('twice');
    // Concurrent creates: moto ignores RunTask's clientToken, so only the provider's own dedup holds.
    await Promise.all([
      first.createPod(twice, { signal }),
      first.createPod(structuredClone(twice), { signal }),
    ]);
    await first.createPod(twice, { signal });
    // A process that crashed before it recorded the task finds it by UID instead of running another.
    const second = await provider('vk-node-other');
    await second.createPod(twice, { signal });
    expect(await tasksStartedBy(twice.metadata!.uid!)).toHaveLength(1);
  });

  it('deletes: stops the task, deregisters its definition, reports a terminal status, then forgets the pod', async () => {
    const p = await provider();
    const doomed = pod('doomed');
    await p.createPod(doomed, { signal });
    const terminal = nextStatus(
      p,
      x => x.metadata?.uid === doomed.metadata?.uid && x.status?.phase !== 'Running',
    );
    await p.deletePod(doomed, { signal });

    const last = await terminal;
    expect(['Succeeded', 'Failed']).toContain(last.status?.phase);
    expect(last.status?.containerStatuses?.[0]?.state?.terminated).toBeDefined();

    const arns = await tasksStartedBy(doomed.metadata!.uid!);
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
    expect(tasks?.[0]).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: tasks![0]!.taskDefinitionArn! }),
    );
    expect(taskDefinition?.status).toBe('INACTIVE');

    await expect(p.getPod('it', 'doomed', { signal })).rejects.toSatisfy(isNotFound);
    // A stale delete of the old pod leaves a successor with the same name running.
    const successor = pod('doomed');
    await p.createPod(successor, { signal });
    await expect(p.deletePod(doomed, { signal })).rejects.toSatisfy(isNotFound);
    expect((await p.getPod('it', 'doomed', { signal })).metadata?.uid).toBe(successor.metadata?.uid);
    await p.deletePod(successor, { signal });
  });

  it('adopts its running tasks after a restart and starts none', async () => {
    const before = await provider('vk-node-adopt');
    const kept = pod('kept');
    await before.createPod(kept, { signal });
    await before.close();

    const after = await provider('vk-node-adopt');
    const adopted = await after.getPod('it', 'kept', { signal });
    expect(adopted.metadata).toMatchObject({ namespace: 'it', name: 'kept', uid: kept.metadata?.uid });
    expect(adopted.spec?.containers.map(c => [c.name, c.image])).toEqual([
      ['app', 'public.ecr.aws/nginx/nginx:1.27'],
    ]);
    expect(adopted.status?.phase).toBe('Running');
    await after.createPod(kept, { signal });
    expect(await tasksStartedBy(kept.metadata!.uid!)).toHaveLength(1);

    // Another node on the same cluster leaves the task alone.
    const stranger = await provider('vk-node-stranger');
    await expect(stranger.getPod('it', 'kept', { signal })).rejects.toSatisfy(isNotFound);
  });

  it('refuses an unsupported pod before registering anything', async () => {
    const p = await provider();
    const bad = pod('bad');
    bad.spec!.hostNetwork = true;
    await expect(p.createPod(bad, { signal })).rejects.toSatisfy(isInvalidInput);
    const { taskDefinitionArns } = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'vk-it-bad' }),
    );
    expect(taskDefinitionArns).toEqual([]);
  });

  it('reads container logs from CloudWatch Logs and follows new lines', async () => {
    const p = await provider();
    const chatty = pod('chatty');
    await p.createPod(chatty, { signal });
    const [arn] = await tasksStartedBy(chatty.metadata!.uid!);
    const stream = `vk/app/${arn!.split('/').at(-1)}`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }));
    const t0 = Date.now() - 1000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: logGroup,
        logStreamName: stream,
        logEvents: [
          { timestamp: t0, message: 'first\n' },
          { timestamp: t0 + 1, message: 'second' },
        ],
      }),
    );

    const history = await p.getContainerLogs!({ namespace: 'it', name: 'chatty' }, 'app', {
      signal,
      follow: false,
      timestamps: false,
      previous: false,
    });
    const lines: LogItem[] = [];
    for await (const item of history) lines.push(item);
    expect(lines.map(l => (l === END_OF_HISTORY ? l : l.text))).toEqual(['first', 'second']);
    expect(lines[0] !== END_OF_HISTORY && lines[0]?.time.getTime()).toBe(t0);

    const stop = new AbortController();
    const followed = await p.getContainerLogs!({ namespace: 'it', name: 'chatty' }, 'app', {
      signal: stop.signal,
      follow: true,
      timestamps: false,
      previous: false,
      tailLines: 1,
    });
    const seen: (string | typeof END_OF_HISTORY)[] = [];
    for await (const item of followed) {
      seen.push(item === END_OF_HISTORY ? item : item.text);
      if (item === END_OF_HISTORY) {
        await logs.send(
          new PutLogEventsCommand({
            logGroupName: logGroup,
            logStreamName: stream,
            logEvents: [{ timestamp: Date.now(), message: 'live' }],
          }),
        );
      }
      if (item !== END_OF_HISTORY && item.text === 'live') stop.abort();
    }
    expect(seen).toEqual(['second', END_OF_HISTORY, 'live']);

    await expect(
      p.getContainerLogs!({ namespace: 'it', name: 'chatty' }, 'nope', {
        signal,
        follow: false,
        timestamps: false,
        previous: false,
      }),
    ).rejects.toSatisfy(isNotFound);
  });

  it('offers no exec, attach, port-forward or stats (core answers 501)', async () => {
    const p = await provider();
    expect(p).not.toHaveProperty('runInContainer');
    expect(p).not.toHaveProperty('attachToContainer');
    expect(p).not.toHaveProperty('portForward');
    expect(p).not.toHaveProperty('getStatsSummary');
  });
});
