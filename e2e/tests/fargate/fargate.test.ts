import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type { V1Pod } from '@kubernetes/client-node';
import { startMoto, type MotoServer } from '@vkubelet/moto';
import { plugin } from '@vkubelet/provider-fargate';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { kubectlOf } from '../support/kubectl.js';
import { startVirtualNode, type VirtualNode } from '../support/virtual-node.js';

/**
 * kubectl → kube-apiserver (scheduler included) → VirtualKubelet → Fargate provider → moto's ECS and
 * CloudWatch Logs: a pod becomes a tagged Fargate task and reports Running with the task's IP,
 * `kubectl logs` reads CloudWatch, an unsupported pod fails with the field named, and deletion
 * stops the task and deregisters its definition. moto runs no containers, so the test writes the
 * log lines itself, as the awslogs driver would.
 */
const NODE = 'vk-fargate-e2e';
const REGION = 'eu-west-1';
const CLUSTER = 'vk-e2e';
const LOG_GROUP = '/vk/e2e';

let cp: ControlPlane;
let moto: MotoServer;
let node: VirtualNode | undefined;
let dir: string;
let configPath: string;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;

const { run: kubectl, ok: kubectlOk, pod: getPod } = kubectlOf(() => cp);

function pod(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'public.ecr.aws/docker/library/busybox:1.36',
          command: ['sh', '-c', 'echo hello from fargate; sleep 3600'],
          resources: { requests: { cpu: '250m', memory: '512Mi' } },
        },
      ],
      ...extra,
    },
  });
}

async function waitRunning(name: string): Promise<V1Pod> {
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

/** Running tasks started for the pod with this UID (the provider tags and starts one per pod). */
async function runningTasks(uid: string): Promise<string[]> {
  const { taskArns = [] } = await ecs.send(
    new ListTasksCommand({ cluster: CLUSTER, startedBy: uid, desiredStatus: 'RUNNING' }),
  );
  return [...taskArns].sort();
}

async function taskOf(uid: string) {
  const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, startedBy: uid }));
  expect(taskArns).toHaveLength(1);
  const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }));
  return tasks[0]!;
}

beforeAll(async () => {
  [cp, moto] = await Promise.all([startControlPlane({ name: 'fargate-e2e' }), startMoto()]);
  await moto.setTransition('ecs::task', { progression: 'manual', times: 1_000_000 });
  const subnets = await moto.defaultSubnets(REGION);
  // The provider takes its credentials from the standard chain, as it would on a real node.
  process.env['AWS_ACCESS_KEY_ID'] = moto.credentials.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = moto.credentials.secretAccessKey;
  const clientConfig = { region: REGION, endpoint: moto.endpoint, credentials: moto.credentials };
  ecs = new ECSClient(clientConfig);
  logs = new CloudWatchLogsClient(clientConfig);
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));

  dir = await mkdtemp(join(tmpdir(), 'vk-fargate-e2e-'));
  configPath = join(dir, 'fargate.yaml');
  await writeFile(
    configPath,
    [
      `cluster: ${CLUSTER}`,
      'createCluster: true',
      `region: ${REGION}`,
      `endpoint: ${moto.endpoint}`,
      `subnets: [${subnets.join(', ')}]`,
      `logGroup: ${LOG_GROUP}`,
      'executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecution',
      'statusIntervalMs: 250',
      '',
    ].join('\n'),
  );

  node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
}, 180_000);

afterAll(async () => {
  await node?.stop();
  ecs?.destroy();
  logs?.destroy();
  await moto?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('Fargate provider through the API server', () => {
  it('advertises the configured capacity on the node', async () => {
    const node = JSON.parse(await kubectlOk(['get', 'node', NODE, '-o', 'json'])) as {
      status: { capacity: Record<string, string> };
    };
    expect(node.status.capacity).toMatchObject({ cpu: '20', memory: '40Gi', pods: '20' });
  });

  it('runs a pod as a Fargate task, shows its logs from CloudWatch, and deletes it', async () => {
    await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], pod('web')), { timeout: 30_000, interval: 500 });
    const web = await vi.waitFor(
      async () => {
        const p = await getPod('web');
        if (p.status?.phase !== 'Running')
          throw new Error(`phase ${p.status?.phase} ${p.status?.message ?? ''}`);
        return p;
      },
      { timeout: 60_000, interval: 300 },
    );
    expect(web.spec?.nodeName).toBe(NODE);
    expect(web.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(web.status?.containerStatuses?.[0]?.state?.running).toBeDefined();

    const task = await taskOf(web.metadata!.uid!);
    expect(task.lastStatus).toBe('RUNNING');
    const stream = `vk/main/${task.taskArn!.split('/').at(-1)}`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: stream }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: LOG_GROUP,
        logStreamName: stream,
        logEvents: [{ timestamp: Date.now(), message: 'hello from fargate' }],
      }),
    );
    expect(await kubectlOk(['logs', 'web'])).toBe('hello from fargate\n');

    // No exec on Fargate (ECS offers it only through SSM sessions): the kubelet answers 501.
    const exec = await kubectl(['exec', 'web', '--', 'true']);
    expect(exec.code).not.toBe(0);

    await kubectlOk(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
    const stopped = await taskOf(web.metadata!.uid!);
    expect(stopped.lastStatus).toBe('STOPPED');
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: stopped.taskDefinitionArn! }),
    );
    expect(taskDefinition?.status).toBe('INACTIVE');
  });

  it('fails a pod Fargate cannot run, naming the field', async () => {
    await kubectlOk(['apply', '-f', '-'], pod('host-net', { hostNetwork: true }));
    const refused = await vi.waitFor(
      async () => {
        const p = await getPod('host-net');
        if (p.status?.phase !== 'Failed') throw new Error(`phase ${p.status?.phase}`);
        return p;
      },
      { timeout: 60_000, interval: 300 },
    );
    expect(refused.status?.reason).toBe('ProviderFailed');
    expect(refused.status?.message).toContain('spec.hostNetwork');
    await kubectlOk(['delete', 'pod', 'host-net', '--wait=true', '--timeout=60s']);
  });

  it('a restarted virtual-kubelet adopts the running tasks without starting new ones', async () => {
    await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], pod('keep')), { timeout: 30_000, interval: 500 });
    const keep = await waitRunning('keep');
    const uid = keep.metadata!.uid!;
    const before = await runningTasks(uid);
    expect(before).toHaveLength(1);

    await node!.stop();
    node = await startVirtualNode(cp, { nodeName: NODE, provider: { plugin, configPath } });
    // Long enough for start-up reconciliation and a few status rounds.
    await new Promise(resolve => setTimeout(resolve, 3_000));
    expect(await runningTasks(uid)).toEqual(before);
    expect((await getPod('keep')).status?.phase).toBe('Running');
    expect((await taskOf(keep.metadata!.uid!)).lastStatus).toBe('RUNNING');
    await kubectlOk(['delete', 'pod', 'keep', '--wait=true', '--timeout=60s']);
  });
});
