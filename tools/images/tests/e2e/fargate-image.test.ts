import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { startContainerd, type Containerd } from '@vkubelet/containerd';
import { startMoto, type MotoServer } from '@vkubelet/moto';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildProviderImage, startRegistry, type ImageReport, type Registry } from '../../src/index.js';
import { kubectlOk, podOnNode, waitPodPhase } from '../support/cluster.js';
import type { CtrAgent } from '../support/ctr-agent.js';
import { runDeploymentAgent } from '../support/deployment-agent.js';
import { expectOciLabels } from '../support/images.js';
import { settleAll } from '../support/settle.js';

/**
 * The Fargate image as providers/fargate/deploy/fargate.yaml runs it (see runDeploymentAgent), its
 * provider config pointed at moto. The node gets Ready, /healthz (the probes' path) answers, a pod becomes a
 * running ECS task and `kubectl logs` reads what the awslogs driver would have written.
 */
const PROVIDER_DIR = 'providers/fargate';
const REGION = 'eu-west-1';
const LOG_GROUP = '/vkubelet/pods';

let cp: ControlPlane;
let containerd: Containerd;
let registry: Registry;
let moto: MotoServer;
let report: ImageReport;
let dir: string;
let node: string;
let agent: CtrAgent | undefined;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

beforeAll(async () => {
  await settleAll([
    buildProviderImage({ providerDir: PROVIDER_DIR, log }).then(value => void (report = value)),
    startControlPlane({ name: 'fargate-image' }).then(value => void (cp = value)),
    startContainerd().then(value => void (containerd = value)),
    startRegistry().then(value => void (registry = value)),
    startMoto().then(value => void (moto = value)),
  ]);
  await moto.setTransition('ecs::task', { progression: 'manual', times: 1_000_000 });
  dir = await mkdtemp(join(tmpdir(), 'vk-fargate-image-'));
}, 600_000);

afterAll(async () => {
  await agent?.stop();
  await containerd?.stop();
  await registry?.stop();
  await moto?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('the Fargate image', () => {
  it('is within budget, labelled and runs as the node user', async () => {
    await expectOciLabels(report, PROVIDER_DIR);
    expect(report.user).toBe('1000:1000');
  });

  it('runs as the Deployment says once pulled from the registry; the node gets Ready', async () => {
    const logs = new CloudWatchLogsClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: moto.credentials,
    });
    await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
    logs.destroy();
    const subnets = await moto.defaultSubnets(REGION);
    const deployed = await runDeploymentAgent({
      providerDir: PROVIDER_DIR,
      report,
      cp,
      containerd,
      registry,
      dir,
      config: fromManifest => ({
        ...fromManifest,
        securityGroups: [],
        createCluster: true,
        region: REGION,
        endpoint: moto.endpoint,
        subnets,
        statusIntervalMs: 250,
      }),
      // The Secret's AWS keys.
      secretEnv: {
        AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      },
    });
    ({ agent, node } = deployed);
    const health = await fetch(`http://127.0.0.1:${deployed.metricsPort}/healthz`);
    expect(health.status).toBe(200);
  });

  it('runs a pod as an ECS task; kubectl logs reads CloudWatch', async () => {
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      podOnNode(node, 'hello', {
        image: 'public.ecr.aws/docker/library/busybox:1.36',
        command: ['sh', '-c', 'echo hello; sleep 3600'],
        resources: { requests: { cpu: '250m', memory: '512Mi' } },
      }),
    );
    const pod = await waitPodPhase(cp, 'hello', 'Running', () => agent!.output());
    const ecs = new ECSClient({ region: REGION, endpoint: moto.endpoint, credentials: moto.credentials });
    const logs = new CloudWatchLogsClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: moto.credentials,
    });
    try {
      const { taskArns = [] } = await ecs.send(
        new ListTasksCommand({ cluster: 'vk-fargate', startedBy: pod.metadata.uid }),
      );
      expect(taskArns).toHaveLength(1);
      // moto runs no containers: write what the awslogs driver would (stream <prefix>/<container>/<task id>).
      const stream = `vk/main/${taskArns[0]!.split('/').at(-1)}`;
      await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: stream }));
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: LOG_GROUP,
          logStreamName: stream,
          logEvents: [{ timestamp: Date.now(), message: 'hello from the fargate image' }],
        }),
      );
      expect(await kubectlOk(cp, ['logs', 'hello'])).toBe('hello from the fargate image\n');
    } finally {
      ecs.destroy();
      logs.destroy();
    }
    await kubectlOk(cp, ['delete', 'pod', 'hello', '--wait=true', '--timeout=60s']);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await agent!.stop()).toBe(0);
    agent = undefined;
  });
});
