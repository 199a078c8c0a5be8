import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { advertiseNode } from '../../../src/node/advertise-node.js';

describe('advertiseNode', () => {
  it('adds resources and labels, keeping what core and the operator set', () => {
    const node: V1Node = {
      metadata: { name: 'vk', labels: { type: 'virtual-kubelet', 'kubernetes.io/os': 'windows' } },
      status: {
        capacity: { 'ephemeral-storage': '1Ti' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
    advertiseNode(node, {
      capacity: { cpu: '20', memory: '40Gi', pods: '20' },
      labels: { 'kubernetes.io/os': 'linux' },
    });
    expect(node.metadata?.labels).toEqual({ type: 'virtual-kubelet', 'kubernetes.io/os': 'linux' });
    expect(node.status?.capacity).toEqual({
      'ephemeral-storage': '1Ti',
      cpu: '20',
      memory: '40Gi',
      pods: '20',
    });
    expect(node.status?.allocatable).toEqual({ cpu: '20', memory: '40Gi', pods: '20' });
    expect(node.status?.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });

  it('advertises allocatable apart from capacity when given', () => {
    const node: V1Node = { metadata: { name: 'vk' } };
    advertiseNode(node, { capacity: { cpu: '8', pods: '110' }, allocatable: { cpu: '7500m', pods: '110' } });
    expect(node.status).toEqual({
      capacity: { cpu: '8', pods: '110' },
      allocatable: { cpu: '7500m', pods: '110' },
    });
    expect(node.metadata).toEqual({ name: 'vk' });
  });
});
