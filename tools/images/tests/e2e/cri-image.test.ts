import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { startContainerd, TEST_IMAGES, type Containerd } from '@vkubelet/containerd';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildProviderImage,
  exec,
  REPO_ROOT,
  startRegistry,
  type ImageReport,
  type Registry,
} from '../../src/index.js';
import { kubectlOk, podOnNode, waitNodeReady, waitPodPhase } from '../support/cluster.js';
import {
  agentCtr,
  AGENT_NAMESPACE,
  ctrEnv,
  pulledDigest,
  startCtrAgent,
  type CtrAgent,
} from '../support/ctr-agent.js';
import { expectOciLabels } from '../support/images.js';
import { expandCommand, parseEnvironmentFile, parseServiceUnit } from '../support/systemd-unit.js';
import { settleAll } from '../support/settle.js';

/**
 * The CRI image as providers/cri/deploy/ runs it: built with buildah, pushed to a local registry,
 * then the systemd unit's own commands (pull from the registry, `ctr run` with the containerd socket,
 * pod root and /etc/vkubelet mounted, host network) against a private containerd and the test control
 * plane. The node gets Ready, a pod runs in the same containerd and `kubectl logs` reads it.
 */
const PROVIDER_DIR = 'providers/cri';
const DEPLOY = join(REPO_ROOT, PROVIDER_DIR, 'deploy');
const NODE = 'vk-cri-image';

let cp: ControlPlane;
let containerd: Containerd;
let registry: Registry;
let report: ImageReport;
let configDir: string;
let imageRef: string;
let agent: CtrAgent | undefined;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

beforeAll(async () => {
  await settleAll([
    buildProviderImage({ providerDir: PROVIDER_DIR, log }).then(value => void (report = value)),
    startControlPlane({ name: 'cri-image' }).then(value => void (cp = value)),
    startContainerd().then(value => void (containerd = value)),
    startRegistry().then(value => void (registry = value)),
  ]);
  imageRef = `${registry.host}/vkubelet/cri:${report.version}`;
  configDir = await mkdtemp(join(tmpdir(), 'vk-cri-image-'));
  await copyFile(await cp.nodeKubeconfig(NODE), join(configDir, 'node.kubeconfig'));
  await copyFile(cp.ca.certPath, join(configDir, 'ca.crt'));
  // The shipped config, pointed at the private containerd's pod root and cgroup parent.
  const shipped = JSON.parse(await readFile(join(DEPLOY, 'cri.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(
    join(configDir, 'cri.json'),
    JSON.stringify({
      ...shipped,
      podRoot: containerd.podRoot,
      cgroupParent: containerd.cgroupParent,
      clusterDNS: [],
      statusIntervalMs: 250,
    }),
  );
}, 600_000);

afterAll(async () => {
  await agent?.stop();
  await containerd?.stop();
  await registry?.stop();
  await cp?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
}, 120_000);

describe('the CRI image', () => {
  it('is within budget and labelled; the registry serves the digest the build wrote', async () => {
    await expectOciLabels(report, PROVIDER_DIR);
    expect(report.user).toBe('0:0');
    expect(await registry.push(report.archive, `vkubelet/cri:${report.version}`)).toBe(report.manifestDigest);
    expect(await registry.digestOf(`vkubelet/cri:${report.version}`)).toBe(report.manifestDigest);
  });

  it('runs with the systemd unit’s commands: pulled from the registry, the node gets Ready', async () => {
    const unit = parseServiceUnit(await readFile(join(DEPLOY, 'vkubelet-cri.service'), 'utf8'));
    const environment = {
      ...unit.environment,
      ...parseEnvironmentFile(await readFile(join(DEPLOY, 'cri.env'), 'utf8')),
      VKUBELET_IMAGE: imageRef,
      NODE_NAME: NODE,
      CONTAINERD_ADDRESS: containerd.socketPath,
      POD_ROOT: containerd.podRoot,
      CONFIG_DIR: configDir,
      AGENT_CGROUP: `${containerd.cgroupParent}/agent`,
      PULL_ARGS: '--plain-http',
      // Loopback only, on ports the kernel picks: several test runs share this machine.
      EXTRA_ARGS: '--node-ip 127.0.0.1 --listen-address 127.0.0.1:0 --metrics-addr 127.0.0.1:0',
    };
    for (const line of unit.execStartPre) {
      const { argv, ignoreFailure } = expandCommand(line, environment, hostname());
      const done = exec(argv[0]!, argv.slice(1), { env: ctrEnv(containerd) });
      await (ignoreFailure ? done.catch(() => '') : done);
    }
    expect(await pulledDigest(containerd, imageRef)).toBe(report.manifestDigest);

    const { argv } = expandCommand(unit.execStart, environment, hostname());
    expect(argv.slice(0, 5)).toEqual([
      '/usr/bin/ctr',
      '--address',
      containerd.socketPath,
      '--namespace',
      AGENT_NAMESPACE,
    ]);
    const id = argv[argv.indexOf(imageRef) + 1]!;
    agent = startCtrAgent(containerd, argv, id);
    await waitNodeReady(cp, NODE, () => agent!.output());
  });

  it('loads its provider, and the mock, by name', async () => {
    for (const provider of ['cri', 'mock']) {
      const out = await agentCtr(containerd, [
        'run',
        '--rm',
        '--cgroup',
        `${containerd.cgroupParent}/probe`,
        imageRef,
        `probe-${provider}`,
        ...report.entrypoint.slice(0, 2),
        'providers',
        provider,
      ]);
      expect(out.trim()).toBe(provider);
    }
  });

  it('runs a pod in the host’s containerd; kubectl logs reads it', async () => {
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      podOnNode(NODE, 'hello', {
        image: TEST_IMAGES.busybox,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', 'echo hello from the cri image; exec sleep 3600'],
      }),
    );
    const pod = await waitPodPhase(cp, 'hello', 'Running', () => agent!.output());
    expect(pod.status.podIP?.startsWith(containerd.subnet.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(await kubectlOk(cp, ['logs', 'hello'])).toBe('hello from the cri image\n');
    await kubectlOk(cp, ['delete', 'pod', 'hello', '--wait=true', '--timeout=60s']);
    expect((await containerd.ctr(['containers', 'ls', '-q'])).trim()).toBe('');
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await agent!.stop()).toBe(0);
    agent = undefined;
  });
});
