import type { V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { podQOSClass } from '../../../src/status/index.js';

function pod(containers: V1ResourceRequirements[], init: V1ResourceRequirements[] = []): V1Pod {
  return {
    spec: {
      containers: containers.map((resources, i) => ({ name: `c${i}`, resources })),
      initContainers: init.map((resources, i) => ({ name: `i${i}`, resources })),
    },
  };
}

const both = (cpu: string, memory: string) => ({ cpu, memory });

describe('podQOSClass (the kubelet ComputePodQOS)', () => {
  const cases: Array<[string, V1Pod, string]> = [
    ['no resources at all', pod([{}]), 'BestEffort'],
    ['only ephemeral-storage', pod([{ requests: { 'ephemeral-storage': '1Gi' } }]), 'BestEffort'],
    [
      'requests equal limits for cpu and memory',
      pod([{ requests: both('1', '1Gi'), limits: both('1', '1Gi') }]),
      'Guaranteed',
    ],
    [
      'limits only (the API server defaults requests to them)',
      pod([{ limits: both('500m', '64Mi') }]),
      'Guaranteed',
    ],
    [
      'equal values written differently',
      pod([{ requests: both('1', '1Gi'), limits: both('1000m', '1073741824') }]),
      'Guaranteed',
    ],
    [
      'requests below limits',
      pod([{ requests: both('250m', '64Mi'), limits: both('1', '64Mi') }]),
      'Burstable',
    ],
    ['requests only', pod([{ requests: { cpu: '100m' } }]), 'Burstable'],
    ['a cpu limit without memory', pod([{ limits: { cpu: '1' } }]), 'Burstable'],
    ['one Guaranteed and one BestEffort container', pod([{ limits: both('1', '1Gi') }, {}]), 'Burstable'],
    [
      'Guaranteed app with a BestEffort init container',
      pod([{ limits: both('1', '1Gi') }], [{}]),
      'Burstable',
    ],
    [
      'every container Guaranteed',
      pod([{ limits: both('1', '1Gi') }, { limits: both('2', '2Gi') }]),
      'Guaranteed',
    ],
    [
      'pod-level resources decide when present',
      { spec: { ...pod([{}]).spec!, resources: { limits: both('1', '1Gi') } } },
      'Guaranteed',
    ],
  ];
  for (const [what, p, qos] of cases) it(`${what}: ${qos}`, () => expect(podQOSClass(p)).toBe(qos));
});
