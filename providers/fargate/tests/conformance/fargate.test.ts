import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTasksCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type { V1Pod } from '@kubernetes/client-node';
import { startMoto, type MotoServer } from '@vkubelet/moto';
import { noopLogger, type Provider } from '@vkubelet/provider-kit';
import { runConformance } from '@vkubelet/provider-kit/conformance';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

import { TAG } from '../../src/identity.js';
import { createFargateProvider } from '../../src/plugin.js';

const region = 'eu-west-1';
const cluster = 'vk-conformance';
const nodeName = 'vk-fargate-conformance';
const logGroup = '/vk/conformance';

let moto: MotoServer;
let subnets: string[];
let ecs: ECSClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  moto = await startMoto();
  await moto.setTransition('ecs::task', { progression: 'manual', times: 1_000_000 });
  subnets = await moto.defaultSubnets(region);
  const clientConfig = { region, endpoint: moto.endpoint, credentials: moto.credentials };
  ecs = new ECSClient(clientConfig);
  logs = new CloudWatchLogsClient(clientConfig);
  await logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
}, 60_000);

afterAll(async () => {
  ecs?.destroy();
  logs?.destroy();
  await moto?.stop();
});

/**
 * moto runs no containers, so this stands in for the awslogs driver: it plays the `echo`s and
 * `sleep`s of a conformance shell script into the task's CloudWatch stream, as a container would.
 * What is under test is the provider's side: stream naming, paging, tail and follow.
 */
async function writeLogsLikeAContainer(pod: V1Pod): Promise<void> {
  const container = pod.spec?.containers[0];
  const script = container?.command?.at(-1) ?? '';
  const { taskArns } = await ecs.send(new ListTasksCommand({ cluster, startedBy: pod.metadata?.uid }));
  const taskId = taskArns?.[0]?.split('/').at(-1);
  if (!container || !taskId) return;
  const stream = `vk/${container.name}/${taskId}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }));
  for (const step of script.split(';').map(s => s.trim())) {
    const echo = /^echo (.*)$/.exec(step);
    const pause = /^sleep ([\d.]+)$/.exec(step);
    if (echo) {
      const logEvents = [{ timestamp: Date.now(), message: echo[1] ?? '' }];
      await logs.send(new PutLogEventsCommand({ logGroupName: logGroup, logStreamName: stream, logEvents }));
    } else if (pause && Number(pause[1]) < 60) await sleep(Number(pause[1]) * 1000);
    else return;
  }
}

async function fargateProvider(): Promise<Provider> {
  const provider = await createFargateProvider(
    { nodeName, logger: noopLogger },
    {
      config: {
        cluster,
        createCluster: true,
        region,
        endpoint: moto.endpoint,
        subnets,
        logGroup,
        executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecution',
        statusIntervalMs: 200,
      },
      clientOverrides: { credentials: moto.credentials },
    },
  );
  const createPod = provider.createPod.bind(provider);
  provider.createPod = async (pod, options) => {
    await createPod(pod, options);
    void writeLogsLikeAContainer(pod).catch(() => undefined);
  };
  return provider;
}

/** Running tasks tagged for this node and active task definitions of the suite's pods. */
async function backendResources(): Promise<string[]> {
  const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'RUNNING' }));
  const { tasks = [] } = taskArns.length
    ? await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns, include: ['TAGS'] }))
    : {};
  const ours = tasks.filter(t => t.tags?.some(tag => tag.key === TAG.node && tag.value === nodeName));
  const { taskDefinitionArns = [] } = await ecs.send(
    new ListTaskDefinitionsCommand({ familyPrefix: 'vk-vk-conformance-', status: 'ACTIVE' }),
  );
  return [...ours.map(t => t.taskArn ?? ''), ...taskDefinitionArns];
}

runConformance({
  name: 'fargate',
  createProvider: fargateProvider,
  capabilities: {
    notifier: true,
    persistence: true,
    multiContainer: true,
    logs: true,
    followLogs: true,
    // Not checkable on moto, which runs no containers: exit codes, restarts and init ordering come
    // from real ECS container states (mapped in src/status.ts, covered by unit tests).
    exitCodes: false,
    restartPolicies: false,
    initContainers: false,
  },
  timeouts: { podRunningMs: 10_000, podExitMs: 10_000, checkMs: 40_000 },
  listBackendResources: backendResources,
  report: { dir: fileURLToPath(new URL('../../../../conformance-reports', import.meta.url)) },
});
