// startStack: one local stack. A control plane with the aggregation layer, metrics-server, the
// provider's backend and virtual-kubelet as the node, everything in the stack's own state directory
// (kubeconfig, certificates, provider config, logs), all of it stopped and removed by stop().
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import {
  binaryPath,
  startControlPlane,
  startProcess,
  startWatchdog,
  tailFile,
  type ManagedProcess,
} from '@vkubelet/testenv';
import { errorMessage } from '@vkubelet/provider-kit';

import { agentArgs, providerUnavailable } from './agent.js';
import { startMetricsServer } from './metrics-server.js';
import { virtualKubeletCli } from './paths.js';
import { aggregationLayerFlags, writeStackPki } from './pki.js';
import type { Progress } from './progress.js';
import type { ProviderEntry } from './providers/index.js';
import { claimStackDir, readRecord, stackKubeconfigPath, writeRecord } from './state.js';

const run = promisify(execFile);

export interface StackOptions {
  name: string;
  provider: ProviderEntry;
  nodeName: string;
  /** The node's published address (see address.ts). */
  address: string;
  /** virtual-kubelet flags of the user's, after the stack's own. */
  agentFlags?: readonly string[];
  /** Join this cluster (a kubeconfig path) instead of starting a control plane and metrics-server. */
  externalKubeconfig?: string;
  progress: Progress;
  /** Budget for the node to become Ready once virtual-kubelet runs (default 120 s). */
  readyTimeoutMs?: number;
}

export interface Stack {
  readonly name: string;
  readonly dir: string;
  readonly logsDir: string;
  /** The admin kubeconfig the stack prints (the external one when joining a cluster). */
  readonly kubeconfig: string;
  readonly nodeName: string;
  readonly address: string;
  readonly provider: ProviderEntry;
  /** The kubectl matching the control plane. */
  readonly kubectlPath: string;
  /** Resolves with a reason when virtual-kubelet or metrics-server exits on its own. */
  readonly failed: Promise<string>;
  /** Stops every part, last started first, and removes the state directory. Idempotent. */
  stop(): Promise<void>;
}

export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { name, provider, nodeName, address, progress } = options;
  const external = options.externalKubeconfig;
  const dir = claimStackDir(name, {
    name,
    provider: provider.name,
    nodeName,
    kubeconfig: external ?? stackKubeconfigPath(name),
  });
  const logsDir = join(dir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  // If this process is killed outright, the watchdog ends the processes below and removes `dir`.
  const watchdog = startWatchdog(join(dir, 'pids'), [dir]);
  const groups: number[] = ownProcessGroup();
  const watch = (proc: ManagedProcess): ManagedProcess => {
    groups.push(proc.pid);
    watchdog.setGroups(groups);
    return proc;
  };
  watchdog.setGroups(groups);

  const undo: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const step of undo.reverse()) {
        await step().catch((error: unknown) => progress.line(`while stopping: ${errorMessage(error)}`));
      }
      watchdog.dispose();
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    const pki = await writeStackPki(join(dir, 'pki'), { name: nodeName, address });
    const backendContext = {
      stateDir: dir,
      logsDir,
      nodeName,
      progress: (message: string) => progress.line(`${provider.name}: ${message}`),
    };
    // The three take seconds each and need nothing from one another.
    const [checked, started, backendStarted] = await Promise.allSettled([
      providerUnavailable(provider.name),
      external
        ? Promise.resolve(undefined)
        : progress.step('control plane (etcd, kube-apiserver, kube-scheduler, kube-controller-manager)', () =>
            startControlPlane({ name: `stack-${name}`, apiServerFlags: aggregationLayerFlags(pki) }),
          ),
      provider.startBackend
        ? progress.step(`${provider.name} backend`, () => provider.startBackend!(backendContext))
        : Promise.resolve(undefined),
    ]);
    // Whatever started is stopped by stop() when another part failed.
    const controlPlane = started.status === 'fulfilled' ? started.value : undefined;
    const backend = backendStarted.status === 'fulfilled' ? backendStarted.value : undefined;
    if (controlPlane) undo.push(() => controlPlane.stop());
    if (backend) undo.push(() => backend.stop());
    for (const result of [checked, started, backendStarted]) {
      if (result.status === 'rejected') throw result.reason;
    }
    if (checked.status === 'fulfilled' && checked.value) {
      throw new ProviderUnavailableError(`provider ${provider.name} is not available: ${checked.value}`);
    }

    const kubeconfig = external ?? stackKubeconfigPath(name);
    if (controlPlane) copyFileSync(controlPlane.adminKubeconfigPath, kubeconfig);
    const kubectlPath = controlPlane?.kubectlPath ?? binaryPath('kubectl');

    // metrics-server starts while virtual-kubelet does and the node gets Ready; it is stopped by
    // stop() from the moment it runs.
    const metricsServer = controlPlane
      ? progress
          .step('metrics-server', () => startMetricsServer({ controlPlane, pki, logsDir }))
          .then(proc => {
            watch(proc);
            undo.push(() => proc.stop(2_000));
            return proc;
          })
      : Promise.resolve(undefined);
    // Handled below; until then a failure must not count as an unhandled rejection.
    metricsServer.catch(() => undefined);

    let providerConfigFile: string | undefined;
    if (backend?.providerConfig !== undefined) {
      providerConfigFile = join(dir, 'provider-config.json');
      writeFileSync(providerConfigFile, `${JSON.stringify(backend.providerConfig, null, 2)}\n`, {
        mode: 0o600,
      });
    }
    const args = agentArgs({
      provider: provider.name,
      nodeName,
      kubeconfig: controlPlane ? await controlPlane.nodeKubeconfig(nodeName) : kubeconfig,
      address,
      ...(controlPlane ? { clientCaFile: controlPlane.caCertPath } : {}),
      tls: { certFile: pki.kubeletCert, keyFile: pki.kubeletKey },
      ...(providerConfigFile ? { providerConfigFile } : {}),
      disableTaint: controlPlane !== undefined,
      extraFlags: [...(backend?.flags ?? []), ...(options.agentFlags ?? [])],
    });
    const agentLog = join(logsDir, 'virtual-kubelet.log');
    const agent = watch(
      startProcess('virtual-kubelet', process.execPath, [virtualKubeletCli, ...args], agentLog, {
        ...process.env,
        ...backend?.env,
      }),
    );
    undo.push(() => agent.stop(5_000));

    // Both settle before a failure surfaces, so stop() knows every process that runs.
    const [metricsStarted, nodeReady] = await Promise.allSettled([
      metricsServer,
      progress.step(`node ${nodeName} Ready (virtual-kubelet --provider ${provider.name})`, () =>
        waitForNodeReady(kubectlPath, kubeconfig, nodeName, agent, options.readyTimeoutMs ?? 120_000),
      ),
    ]);
    if (nodeReady.status === 'rejected') throw nodeReady.reason;
    if (metricsStarted.status === 'rejected') throw metricsStarted.reason;
    const metricsProcess = metricsStarted.value;

    const record = readRecord(dir);
    if (record) writeRecord(dir, { ...record, kubeconfig, phase: 'ready' });
    const failed = Promise.race([
      agent.exited.then(
        status =>
          `virtual-kubelet exited (${status.signal ?? `code ${status.code}`}):\n${tailFile(agentLog, 20)}`,
      ),
      ...(metricsProcess
        ? [
            metricsProcess.exited.then(
              () => `metrics-server exited:\n${tailFile(metricsProcess.logPath, 20)}`,
            ),
          ]
        : []),
    ]);
    return { name, dir, logsDir, kubeconfig, nodeName, address, provider, kubectlPath, failed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * This process's group when it leads one (start.sh execs it from a shell job, or a test spawns it
 * detached): backends started without their own group (containerd, moto) are in it, so the watchdog
 * ends them too. A process inside someone else's group must never list it.
 */
function ownProcessGroup(): number[] {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return pgrp === process.pid ? [pgrp] : [];
  } catch {
    return [];
  }
}

async function waitForNodeReady(
  kubectlPath: string,
  kubeconfig: string,
  nodeName: string,
  agent: ManagedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = agent.exitStatus();
    if (status) {
      throw new Error(
        `virtual-kubelet exited (${status.signal ?? `code ${status.code}`}) before node ${nodeName} was Ready:\n${tailFile(agent.logPath, 30)}`,
      );
    }
    const ready = await run(
      kubectlPath,
      [
        `--kubeconfig=${kubeconfig}`,
        'get',
        'node',
        nodeName,
        '--ignore-not-found',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ],
      { timeout: 10_000 },
    ).then(
      ({ stdout }) => stdout.trim() === 'True',
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) {
      throw new Error(
        `node ${nodeName} was not Ready within ${timeoutMs / 1000} s:\n${tailFile(agent.logPath, 30)}`,
      );
    }
    await Promise.race([sleep(300), agent.exited]);
  }
}
