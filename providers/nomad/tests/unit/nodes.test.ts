import { describe, expect, it } from 'vitest';

import type { NodeListStub } from '../../src/nomad/types.js';
import { eligibleNodes, measuredMHzPerCore, nodeResources } from '../../src/nodes.js';

function node(name: string, extra: Partial<NodeListStub> = {}): NodeListStub {
  return {
    ID: `id-${name}`,
    Name: name,
    Address: '10.0.0.1',
    Datacenter: 'dc1',
    NodePool: 'default',
    Status: 'ready',
    SchedulingEligibility: 'eligible',
    Drain: false,
    NodeResources: {
      Cpu: { CpuShares: 8000, TotalCpuCores: 4 },
      Memory: { MemoryMB: 16384 },
      Disk: { DiskMB: 100_000 },
    },
    ReservedResources: { Cpu: { CpuShares: 500 }, Memory: { MemoryMB: 1024 }, Disk: { DiskMB: 0 } },
    ...extra,
  };
}

describe('the Nomad clients behind the virtual node', () => {
  const nodes = [
    node('a'),
    node('b', {
      Datacenter: 'dc2',
      NodeResources: { Cpu: { CpuShares: 6000, TotalCpuCores: 4 }, Memory: { MemoryMB: 8192 } },
    }),
    node('down', { Status: 'down' }),
    node('drained', { Drain: true }),
    node('ineligible', { SchedulingEligibility: 'ineligible' }),
    node('gpu', { NodePool: 'gpu' }),
    node('far', { Datacenter: 'eu-1' }),
  ];

  it('are the ready, eligible clients of the datacenters (globs) and node pool', () => {
    const names = (selection: Parameters<typeof eligibleNodes>[1]) =>
      eligibleNodes(nodes, selection).map(n => n.Name);
    expect(names({ datacenters: ['dc*'] })).toEqual(['a', 'b']);
    expect(names({ datacenters: ['*'], nodePool: 'all' })).toEqual(['a', 'b', 'gpu', 'far']);
    expect(names({ datacenters: ['dc1'], nodePool: 'gpu' })).toEqual(['gpu']);
  });

  it("convert CPU at the slowest client's MHz per core", () => {
    expect(measuredMHzPerCore(eligibleNodes(nodes, { datacenters: ['dc*'] }))).toBe(1500);
    expect(measuredMHzPerCore([node('x', { NodeResources: {} })])).toBeUndefined();
  });

  it('add up to the capacity; allocatable leaves out what the clients reserve', () => {
    const two = eligibleNodes(nodes, { datacenters: ['dc*'] });
    expect(nodeResources(two, 1500, undefined)).toEqual({
      capacity: { cpu: '9333m', memory: '24576Mi', 'ephemeral-storage': '100000Mi', pods: '220' },
      allocatable: { cpu: '8666m', memory: '22528Mi', 'ephemeral-storage': '100000Mi', pods: '220' },
    });
    expect(nodeResources(two, 2000, 50).capacity.pods).toBe('50');
  });
});
