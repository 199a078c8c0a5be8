import { cpus, freemem, release, totalmem, arch, hostname } from 'node:os';
import { readFile } from 'node:fs/promises';

import type { V1Node } from '@kubernetes/client-node';

import type { CriConfig } from './config.js';
import type { VersionInfo } from './cri/types.js';
import { parseQuantity, advertiseNode } from '@vkubelet/provider-kit';

/** Capacity from the host; allocatable is capacity minus the configured reservations. */
export function nodeResources(config: CriConfig): {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
} {
  const cpuCount = cpus().length;
  const memory = totalmem();
  const reservedMilli = Math.round(parseQuantity(config.reserved.cpu) * 1000);
  const reservedMemory = Math.round(parseQuantity(config.reserved.memory));
  return {
    capacity: {
      cpu: String(cpuCount),
      memory: `${Math.floor(memory / 1024)}Ki`,
      pods: String(config.maxPods),
    },
    allocatable: {
      cpu: `${Math.max(0, cpuCount * 1000 - reservedMilli)}m`,
      memory: `${Math.floor(Math.max(0, memory - reservedMemory) / 1024)}Ki`,
      pods: String(config.maxPods),
    },
  };
}

export async function configureNode(
  node: V1Node,
  config: CriConfig,
  version: VersionInfo | undefined,
  internalIP: string,
): Promise<void> {
  advertiseNode(node, nodeResources(config));
  node.status ??= {};
  node.status.nodeInfo = {
    ...(node.status.nodeInfo ?? {
      architecture: '',
      bootID: '',
      containerRuntimeVersion: '',
      kernelVersion: '',
      kubeProxyVersion: '',
      kubeletVersion: '',
      machineID: '',
      operatingSystem: 'linux',
      osImage: '',
      systemUUID: '',
    }),
    architecture: arch() === 'x64' ? 'amd64' : arch(),
    kernelVersion: release(),
    osImage: await osImage(),
    // Unknown while the runtime has not answered yet (the agent started before it).
    containerRuntimeVersion: version ? `${version.runtime_name}://${version.runtime_version}` : 'unknown',
    operatingSystem: 'linux',
  };
  node.status.addresses = [
    { type: 'InternalIP', address: internalIP },
    { type: 'Hostname', address: node.metadata?.name ?? hostname() },
  ];
}

async function osImage(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? 'Linux';
}

/** Host memory in use (total minus MemAvailable) for the node's Summary stats. */
export async function hostMemoryUsage(): Promise<{ total: number; available: number }> {
  const text = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kib = /^MemAvailable:\s+(\d+)/m.exec(text)?.[1];
  return { total: totalmem(), available: kib ? Number(kib) * 1024 : freemem() };
}

/** Cumulative CPU time of the host in nanoseconds (all cores, busy only). */
export function hostCpuNanos(): number {
  let busyMs = 0;
  for (const cpu of cpus()) busyMs += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return busyMs * 1e6;
}
