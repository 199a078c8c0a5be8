import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import type { Containerd } from '@vkubelet/containerd';
import { freePort, type ControlPlane } from '@vkubelet/testenv';
import { expect } from 'vitest';
import { parse as parseYaml, parseAllDocuments, stringify as toYaml } from 'yaml';

import { REPO_ROOT, type ImageReport, type Registry } from '../../src/index.js';
import { waitNodeReady } from './cluster.js';
import { agentCtr, AGENT_NAMESPACE, pulledDigest, startCtrAgent, type CtrAgent } from './ctr-agent.js';

/**
 * A provider image run as providers/<name>/deploy/<name>.yaml runs it, with containerd standing in
 * for the kubelet: pushed to and pulled back from a local registry, started with the Deployment's
 * args, user, env and mounts (node kubeconfig, cluster CA, the ConfigMap's provider config pointed
 * at a local backend), on the host network.
 */
interface Container {
  args: string[];
  securityContext?: { readOnlyRootFilesystem?: boolean };
  env?: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface Deployment {
  spec: {
    template: {
      spec: { securityContext: { runAsUser: number; runAsGroup: number }; containers: Container[] };
    };
  };
}

/** The Deployment and the provider config (`<name>.yaml` of the ConfigMap) of a provider's manifest. */
async function readManifest(
  name: string,
): Promise<{ deployment: Deployment; config: Record<string, unknown> }> {
  const file = join(REPO_ROOT, 'providers', name, 'deploy', `${name}.yaml`);
  const docs = parseAllDocuments(await readFile(file, 'utf8')).map(
    doc => doc.toJS() as { kind: string; data?: Record<string, string> },
  );
  const deployment = docs.find(doc => doc.kind === 'Deployment') as unknown as Deployment | undefined;
  const config = docs.find(doc => doc.kind === 'ConfigMap')?.data?.[`${name}.yaml`];
  if (!deployment || !config) throw new Error(`${file} has no Deployment or no ConfigMap with ${name}.yaml`);
  return { deployment, config: parseYaml(config) as Record<string, unknown> };
}

export interface DeploymentAgentOptions {
  /** providers/<name>: the image's package and the manifest's directory. */
  providerDir: string;
  report: ImageReport;
  cp: ControlPlane;
  containerd: Containerd;
  registry: Registry;
  /** Where the mounted volumes are made. */
  dir: string;
  /** The provider config to run with, from the ConfigMap's (a local backend's endpoints replace the placeholders). */
  config(fromManifest: Record<string, unknown>): Record<string, unknown>;
  /** More files by volume name, added to those this helper fills (node-identity, cluster-ca, config). */
  volumes?: Record<string, Record<string, string>>;
  /** What the Deployment's Secrets would put in the environment. */
  secretEnv?: Record<string, string>;
}

export interface DeploymentAgent {
  agent: CtrAgent;
  /** The node name of the Deployment's `--nodename`, now Ready. */
  node: string;
  /** Where /healthz and the metrics answer (the Deployment's metrics port, moved to a free one). */
  metricsPort: number;
}

/**
 * Pushes the image, pulls it back into containerd (same manifest digest), runs it as the Deployment
 * says and waits for its node to be Ready.
 */
export async function runDeploymentAgent(options: DeploymentAgentOptions): Promise<DeploymentAgent> {
  const { report, cp, containerd, registry, dir } = options;
  const name = basename(options.providerDir);
  const ref = `${registry.host}/vkubelet/${name}:${report.version}`;
  expect(await registry.push(report.archive, `vkubelet/${name}:${report.version}`)).toBe(
    report.manifestDigest,
  );
  await agentCtr(containerd, ['images', 'pull', '--plain-http', ref]);
  expect(await pulledDigest(containerd, ref)).toBe(report.manifestDigest);

  const { deployment, config } = await readManifest(name);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const node =
    /^--nodename=(.+)$/.exec(container.args.find(arg => arg.startsWith('--nodename=')) ?? '')?.[1] ?? '';
  expect(node).not.toBe('');

  // What the kubelet would mount, owned as the pod's fsGroup makes it readable.
  const files: Record<string, Record<string, string>> = {
    'node-identity': { kubeconfig: await readFile(await cp.nodeKubeconfig(node), 'utf8') },
    'cluster-ca': { 'ca.crt': await readFile(cp.ca.certPath, 'utf8') },
    config: { [`${name}.yaml`]: toYaml(options.config(config)) },
  };
  for (const [volume, extra] of Object.entries(options.volumes ?? {}))
    files[volume] = { ...files[volume], ...extra };
  const mounts: string[] = [];
  for (const mount of container.volumeMounts) {
    const source = join(dir, name, mount.name);
    await mkdir(source, { recursive: true });
    for (const [file, text] of Object.entries(files[mount.name] ?? {}))
      await writeFile(join(source, file), text, { mode: 0o440 });
    await chown(source, pod.securityContext.runAsUser, pod.securityContext.runAsGroup);
    for (const file of Object.keys(files[mount.name] ?? {}))
      await chown(join(source, file), pod.securityContext.runAsUser, pod.securityContext.runAsGroup);
    mounts.push(
      '--mount',
      `type=bind,src=${source},dst=${mount.mountPath},options=rbind:${mount.name === 'tmp' ? 'rw' : 'ro'}`,
    );
  }

  const metricsPort = await freePort();
  const env = [
    ...(container.env ?? [])
      .filter(entry => entry.value !== undefined)
      .map(entry => `${entry.name}=${entry.value}`),
    // status.podIP from the downward API.
    'VKUBELET_POD_IP=127.0.0.1',
    ...Object.entries(options.secretEnv ?? {}).map(([key, value]) => `${key}=${value}`),
  ].flatMap(entry => ['--env', entry]);
  const id = `vkubelet-${name}`;
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
    `${containerd.cgroupParent}/${name}-agent`,
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
  const agent = startCtrAgent(containerd, argv, id);
  try {
    await waitNodeReady(cp, node, () => agent.output());
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return { agent, node, metricsPort };
}
