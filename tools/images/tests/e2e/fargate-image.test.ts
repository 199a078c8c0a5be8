import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { freePort, startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments, stringify as toYaml } from 'yaml';

import {
  buildProviderImage,
  REPO_ROOT,
  startRegistry,
  type ImageReport,
  type Registry,
} from '../../src/index.js';
import { kubectlOk, podOnNode, waitNodeReady, waitPodPhase } from '../support/cluster.js';
import {
  agentCtr,
  AGENT_NAMESPACE,
  pulledDigest,
  startCtrAgent,
  type CtrAgent,
} from '../support/ctr-agent.js';
import { expectOciLabels } from '../support/images.js';

/**
 * The Fargate image as providers/fargate/deploy/fargate.yaml runs it, with containerd standing in
 * for the kubelet: pulled by containerd from a local registry, started with the Deployment's args,
 * user and mounts (node kubeconfig, cluster CA, the ConfigMap's provider config pointed at moto),
 * on the host network. The node gets Ready, /healthz (the probes' path) answers, a pod becomes a
 * running ECS task and `kubectl logs` reads what the awslogs driver would have written.
 */
const PROVIDER_DIR = 'providers/fargate';
const MANIFEST = join(REPO_ROOT, PROVIDER_DIR, 'deploy', 'fargate.yaml');
const REGION = 'eu-west-1';
const LOG_GROUP = '/vkubelet/pods';

interface Container {
  args: string[];
  securityContext?: { readOnlyRootFilesystem?: boolean };
  env?: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface ManifestObjects {
  deployment: {
    spec: {
      template: {
        spec: { securityContext: { runAsUser: number; runAsGroup: number }; containers: Container[] };
      };
    };
  };
  config: string;
}

async function readManifest(): Promise<ManifestObjects> {
  const docs = parseAllDocuments(await readFile(MANIFEST, 'utf8')).map(
    doc => doc.toJS() as { kind: string; data?: Record<string, string> },
  );
  const deployment = docs.find(doc => doc.kind === 'Deployment') as unknown as ManifestObjects['deployment'];
  const config = docs.find(doc => doc.kind === 'ConfigMap')?.data?.['fargate.yaml'];
  if (!deployment || !config)
    throw new Error(`${MANIFEST} has no Deployment or no ConfigMap with fargate.yaml`);
  return { deployment, config };
}

let cp: ControlPlane;
let containerd: Containerd;
let registry: Registry;
let moto: MotoServer;
let report: ImageReport;
let dir: string;
let node: string;
let metricsPort: number;
let agent: CtrAgent | undefined;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

beforeAll(async () => {
  [report, cp, containerd, registry, moto] = await Promise.all([
    buildProviderImage({ providerDir: PROVIDER_DIR, log }),
    startControlPlane({ name: 'fargate-image' }),
    startContainerd(),
    startRegistry(),
    startMoto(),
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
    const ref = `${registry.host}/vkubelet/fargate:${report.version}`;
    expect(await registry.push(report.archive, `vkubelet/fargate:${report.version}`)).toBe(
      report.manifestDigest,
    );
    await agentCtr(containerd, ['images', 'pull', '--plain-http', ref]);
    expect(await pulledDigest(containerd, ref)).toBe(report.manifestDigest);

    const { deployment, config } = await readManifest();
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    node =
      /^--nodename=(.+)$/.exec(container.args.find(arg => arg.startsWith('--nodename=')) ?? '')?.[1] ?? '';
    expect(node).not.toBe('');

    // What the kubelet would mount, owned as the pod's fsGroup makes it readable.
    const files: Record<string, Record<string, string>> = {
      'node-identity': { kubeconfig: await readFile(await cp.nodeKubeconfig(node), 'utf8') },
      'cluster-ca': { 'ca.crt': await readFile(cp.ca.certPath, 'utf8') },
      config: {
        'fargate.yaml': toYaml({
          ...(parseYaml(config) as Record<string, unknown>),
          securityGroups: [],
          createCluster: true,
          region: REGION,
          endpoint: moto.endpoint,
          subnets: await moto.defaultSubnets(REGION),
          statusIntervalMs: 250,
        }),
      },
      tmp: {},
    };
    const mounts: string[] = [];
    for (const mount of container.volumeMounts) {
      const source = join(dir, mount.name);
      await mkdir(source, { recursive: true });
      for (const [name, text] of Object.entries(files[mount.name] ?? {}))
        await writeFile(join(source, name), text, { mode: 0o440 });
      await chown(source, pod.securityContext.runAsUser, pod.securityContext.runAsGroup);
      for (const name of Object.keys(files[mount.name] ?? {}))
        await chown(join(source, name), pod.securityContext.runAsUser, pod.securityContext.runAsGroup);
      mounts.push(
        '--mount',
        `type=bind,src=${source},dst=${mount.mountPath},options=rbind:${mount.name === 'tmp' ? 'rw' : 'ro'}`,
      );
    }
    const logs = new CloudWatchLogsClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: moto.credentials,
    });
    await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
    logs.destroy();

    metricsPort = await freePort();
    const env = [
      ...(container.env ?? [])
        .filter(entry => entry.value !== undefined)
        .map(entry => `${entry.name}=${entry.value}`),
      // status.podIP from the downward API; the Secret's AWS keys.
      'VKUBELET_POD_IP=127.0.0.1',
      `AWS_ACCESS_KEY_ID=${moto.credentials.accessKeyId}`,
      `AWS_SECRET_ACCESS_KEY=${moto.credentials.secretAccessKey}`,
    ].flatMap(entry => ['--env', entry]);
    const id = 'vkubelet-fargate';
    const argv = [
      'ctr',
      '--address',
      containerd.socketPath,
      '--namespace',
      AGENT_NAMESPACE,
      'run',
      '--rm',
      '--net-host',
      ...(container.securityContext?.readOnlyRootFilesystem ? ['--read-only'] : []),
      '--cgroup',
      `${containerd.cgroupParent}/fargate-agent`,
      ...env,
      ...mounts,
      ref,
      id,
      // ctr replaces the whole command line where Kubernetes appends args to the entrypoint.
      ...report.entrypoint,
      ...container.args,
      // Loopback only: several test runs share this machine.
      '--listen-address',
      '127.0.0.1:0',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
    ];
    agent = startCtrAgent(containerd, argv, id);
    await waitNodeReady(cp, node, () => agent!.output());
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
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
