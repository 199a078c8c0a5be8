import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startAciEmulator } from '@vkubelet/aci-emulator';
import { startContainerd, type Containerd } from '@vkubelet/containerd';
import { startEciEmulator } from '@vkubelet/eci-emulator';
import { startNomadEmulator } from '@vkubelet/nomad-emulator';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { buildProviderImage, startRegistry, type ImageReport, type Registry } from '../../src/index.js';
import { kubectlOk, podOnNode, waitPodPhase } from '../support/cluster.js';
import {
  runDeploymentAgent,
  type DeploymentAgent,
  type DeploymentAgentOptions,
} from '../support/deployment-agent.js';
import { expectOciLabels } from '../support/images.js';
import { settleAll } from '../support/settle.js';

/**
 * The ACI, ECI and Nomad images as their deploy/<name>.yaml runs them (see runDeploymentAgent), each
 * pointed at its provider's emulator on loopback through the manifest's own config keys, Secrets
 * and volumes: the node gets Ready, /healthz answers, a pod reaches Running on the emulator and
 * `kubectl logs` reads what its container printed. One control plane, containerd and registry
 * serve all three; the images share the locally built Node base.
 */
interface Backend extends Pick<DeploymentAgentOptions, 'config' | 'volumes' | 'secretEnv'> {
  stop(): Promise<void>;
}

/** Where the emulator's CA goes in the config volume (ACI's config names it in caFile). */
const ACI_CA = '/etc/vkubelet/config/emulator-ca.pem';

const BACKENDS: { name: string; start(): Promise<Backend> }[] = [
  {
    name: 'aci',
    async start() {
      const aci = await startAciEmulator({ provisioning: { pendingMs: 200, creatingMs: 200 } });
      return {
        config: fromManifest => ({
          ...fromManifest,
          subscriptionId: aci.subscriptionId,
          resourceGroup: aci.resourceGroup,
          region: aci.location,
          armEndpoint: aci.armEndpoint,
          authorityHost: aci.authorityHost,
          disableInstanceDiscovery: true,
          caFile: ACI_CA,
          statusIntervalMs: 300,
          logPollIntervalMs: 300,
        }),
        volumes: {
          config: { 'emulator-ca.pem': aci.caPem },
        },
        // The service principal's Secret (vkubelet-aci-azure).
        secretEnv: {
          AZURE_TENANT_ID: aci.tenantId,
          AZURE_CLIENT_ID: aci.clientId,
          AZURE_CLIENT_SECRET: aci.clientSecret,
        },
        stop: () => aci.stop(),
      };
    },
  },
  {
    name: 'eci',
    async start() {
      const eci = await startEciEmulator({ timing: { schedulingMs: 100, pendingMs: 100 } });
      return {
        config: fromManifest => ({
          ...fromManifest,
          region: eci.regionId,
          endpoint: eci.endpoint,
          statusIntervalMs: 250,
          logPollIntervalMs: 250,
        }),
        // The key's Secret (vkubelet-eci-key).
        secretEnv: { ECI_ACCESS_KEY: eci.accessKeyId, ECI_SECRET_KEY: eci.accessKeySecret },
        stop: () => eci.stop(),
      };
    },
  },
  {
    name: 'nomad',
    async start() {
      // HTTPS, so that the manifest's caCert and its nomad-tls volume are what the agent uses.
      const nomad = await startNomadEmulator({ tls: true });
      const ca = await readFile(nomad.caFile!, 'utf8');
      return {
        config: fromManifest => ({
          ...fromManifest,
          address: nomad.address,
          namespace: nomad.namespace,
          region: nomad.region,
        }),
        volumes: { 'nomad-tls': { 'ca.pem': ca } },
        // The token's Secret (vkubelet-nomad-token).
        secretEnv: { NOMAD_TOKEN: nomad.token },
        stop: () => nomad.stop(),
      };
    },
  },
];

let cp: ControlPlane;
let containerd: Containerd;
let registry: Registry;
let dir: string;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

beforeAll(async () => {
  await settleAll([
    startControlPlane({ name: 'emulated-images' }).then(value => void (cp = value)),
    startContainerd().then(value => void (containerd = value)),
    startRegistry().then(value => void (registry = value)),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'vk-emulated-images-'));
}, 180_000);

afterAll(async () => {
  await containerd?.stop();
  await registry?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe.each(BACKENDS)('the $name image', ({ name, start }) => {
  const providerDir = `providers/${name}`;
  let report: ImageReport;
  let backend: Backend | undefined;
  let deployed: DeploymentAgent | undefined;

  beforeAll(async () => {
    await settleAll([
      buildProviderImage({ providerDir, log }).then(value => void (report = value)),
      start().then(value => void (backend = value)),
    ]);
  }, 600_000);

  afterAll(async () => {
    await deployed?.agent.stop();
    await backend?.stop();
  }, 60_000);

  it('is within budget, labelled and runs as the node user', async () => {
    await expectOciLabels(report, providerDir);
    expect(report.user).toBe('1000:1000');
  });

  it('runs as the Deployment says once pulled from the registry; the node gets Ready', async () => {
    deployed = await runDeploymentAgent({ providerDir, report, cp, containerd, registry, dir, ...backend! });
    const health = await fetch(`http://127.0.0.1:${deployed.metricsPort}/healthz`);
    expect(health.status).toBe(200);
  });

  it('runs a pod to Running on the emulator; kubectl logs reads its output', async () => {
    const { agent, node } = deployed!;
    const pod = `hello-${name}`;
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      podOnNode(node, pod, {
        image: 'busybox:1.36',
        command: ['sh', '-c', `echo hello from the ${name} image; sleep 3600`],
        resources: { requests: { cpu: '250m', memory: '256Mi' } },
      }),
    );
    await waitPodPhase(cp, pod, 'Running', () => agent.output());
    await vi.waitFor(
      async () => expect(await kubectlOk(cp, ['logs', pod])).toBe(`hello from the ${name} image\n`),
      { timeout: 30_000, interval: 500 },
    );
    await kubectlOk(cp, ['delete', 'pod', pod, '--wait=true', '--timeout=60s']);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await deployed!.agent.stop()).toBe(0);
    deployed = undefined;
  });
});
