import { randomUUID } from 'node:crypto';

import type { NomadNode } from '../api/types.js';
import { EMULATED_DRIVERS } from '../client/task-pod.js';

/** An emulated Nomad client node. */
export interface NodeOptions {
  /** Default `nomad-client-<n>`. */
  name?: string;
  /** Default the emulator's datacenter (`dc1`). */
  datacenter?: string;
  /** Default `default`. */
  nodePool?: string;
  nodeClass?: string;
  /** Total CPU in MHz (NodeResources.Cpu.CpuShares); default 8000 (4 cores of 2000 MHz). */
  cpuMHz?: number;
  /** Default 4. */
  cores?: number;
  /** Default 16384. */
  memoryMB?: number;
  /** Default 102400. */
  diskMB?: number;
  /** The node's address (allocations in host networking get it); default 10.64.0.<n>. */
  address?: string;
  meta?: Record<string, string>;
}

export const MIN_DYNAMIC_PORT = 20000;
export const MAX_DYNAMIC_PORT = 32000;

/**
 * A node as `/v1/node/<id>` shows it. `httpAddr` is the emulator's own address: the api module talks
 * to a node's HTTPAddr directly for logs and exec, and here the emulator answers for every node.
 */
export function createNode(options: NodeOptions, ordinal: number, httpAddr: string, tls: boolean): NomadNode {
  const cores = options.cores ?? 4;
  const cpu = options.cpuMHz ?? cores * 2000;
  const address = options.address ?? `10.64.0.${ordinal}`;
  const now = new Date().toISOString();
  const drivers = Object.fromEntries(
    EMULATED_DRIVERS.map(driver => [
      driver,
      {
        Attributes: { [`driver.${driver}`]: 'true' },
        Detected: true,
        Healthy: true,
        HealthDescription: 'Healthy',
        UpdateTime: now,
      },
    ]),
  );
  return {
    ID: randomUUID(),
    SecretID: randomUUID(),
    Datacenter: options.datacenter ?? 'dc1',
    Name: options.name ?? `nomad-client-${ordinal}`,
    HTTPAddr: httpAddr,
    TLSEnabled: tls,
    Attributes: {
      'kernel.name': 'linux',
      'cpu.arch': 'amd64',
      'cpu.numcores': String(cores),
      'cpu.totalcompute': String(cpu),
      'memory.totalbytes': String((options.memoryMB ?? 16384) * 1024 * 1024),
      'nomad.version': '1.10.5',
      'unique.hostname': options.name ?? `nomad-client-${ordinal}`,
      'unique.network.ip-address': address,
      ...Object.fromEntries(EMULATED_DRIVERS.map(driver => [`driver.${driver}`, '1'])),
    },
    NodeResources: {
      Cpu: {
        CpuShares: cpu,
        TotalCpuCores: cores,
        ReservableCpuCores: Array.from({ length: cores }, (_, core) => core),
      },
      Memory: { MemoryMB: options.memoryMB ?? 16384 },
      Disk: { DiskMB: options.diskMB ?? 102400 },
      Networks: [{ Mode: 'host', Device: 'eth0', CIDR: `${address}/32`, IP: address, MBits: 1000 }],
      Devices: null,
      MinDynamicPort: MIN_DYNAMIC_PORT,
      MaxDynamicPort: MAX_DYNAMIC_PORT,
    },
    ReservedResources: {
      Cpu: { CpuShares: 0 },
      Memory: { MemoryMB: 0 },
      Disk: { DiskMB: 0 },
      Networks: { ReservedHostPorts: '' },
    },
    Links: {},
    Meta: options.meta ?? {},
    NodeClass: options.nodeClass ?? '',
    NodePool: options.nodePool ?? 'default',
    CgroupParent: '/nomad',
    Drain: false,
    DrainStrategy: null,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    StatusUpdatedAt: Math.floor(Date.now() / 1000),
    Events: [
      { Message: 'Node registered', Subsystem: 'Cluster', Details: null, Timestamp: now, CreateIndex: 0 },
    ],
    Drivers: drivers,
    HostVolumes: null,
    HostNetworks: null,
    CSIControllerPlugins: null,
    CSINodePlugins: null,
    LastDrain: null,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/** The `/v1/nodes` list entry; `resources` adds NodeResources and ReservedResources (`?resources=true`). */
export function nodeStub(node: NomadNode, resources: boolean): Record<string, unknown> {
  return {
    Address: node.Attributes['unique.network.ip-address'] ?? '',
    ID: node.ID,
    Attributes: node.Attributes,
    Datacenter: node.Datacenter,
    Name: node.Name,
    NodeClass: node.NodeClass,
    NodePool: node.NodePool,
    Version: node.Attributes['nomad.version'] ?? '',
    Drain: node.Drain,
    SchedulingEligibility: node.SchedulingEligibility,
    Status: node.Status,
    StatusDescription: node.StatusDescription,
    Drivers: node.Drivers,
    ...(resources ? { NodeResources: node.NodeResources, ReservedResources: node.ReservedResources } : {}),
    LastDrain: null,
    CreateIndex: node.CreateIndex,
    ModifyIndex: node.ModifyIndex,
  };
}
