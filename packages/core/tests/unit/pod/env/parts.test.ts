import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { isEnvVarName } from '../../../../src/pod/env/env-var-name.js';
import { resolveFieldRef } from '../../../../src/pod/env/field-ref.js';
import { parseQuantity } from '@vkubelet/provider-kit';
import { resolveResourceFieldRef } from '../../../../src/pod/env/resource-field-ref.js';
import { serviceLinkVariables } from '../../../../src/pod/env/service-links.js';

const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'ns', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { nodeName: 'vk', containers: [{ name: 'c' }] },
  status: { phase: 'Pending' },
};

describe('isEnvVarName', () => {
  it.each([
    ['FOO', true],
    ['my.env-name', true],
    ['_x', true],
    ['1BAD', false],
    ['has space', false],
    ['.', false],
    ['..x', false],
    ['.x', true],
  ])('%s -> %s', (name, valid) => expect(isEnvVarName(name)).toBe(valid));
});

describe('parseQuantity', () => {
  it.each<[string, number]>([
    ['250m', 0.25],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2k', 2000],
    ['1e3', 1000],
    ['100', 100],
    ['.5', 0.5],
  ])('%s -> %d', (input, value) => expect(parseQuantity(input)).toBeCloseTo(value));
  it('rejects garbage with the input in the message', () => {
    expect(() => parseQuantity('12parsecs')).toThrow('invalid resource quantity "12parsecs"');
  });
});

describe('resolveFieldRef', () => {
  it('reads subscripted labels, spec.host, restartPolicy and schedulerName defaults', () => {
    const ref = (fieldPath: string) => resolveFieldRef({ fieldPath }, pod, {});
    expect(ref("metadata.labels['app.kubernetes.io/name']")).toBe('web');
    expect(ref("metadata.annotations['missing']")).toBe('');
    expect(ref('spec.host')).toBe('vk');
    expect(ref('spec.restartPolicy')).toBe('Always');
    expect(ref('spec.schedulerName')).toBe('default-scheduler');
    expect(ref('status.phase')).toBe('Pending');
  });
  it('rejects what can never resolve as invalid', () => {
    expect(() => resolveFieldRef({ fieldPath: 'spec.nope' }, pod, {})).toThrow(
      expect.objectContaining({ failure: 'invalid', message: 'unsupported fieldPath "spec.nope"' }),
    );
    expect(() => resolveFieldRef({ fieldPath: 'metadata.name', apiVersion: 'v2' }, pod, {})).toThrow(
      expect.objectContaining({ failure: 'invalid' }),
    );
    expect(() => resolveFieldRef({ fieldPath: "metadata.labels['bad key']" }, pod, {})).toThrow(
      expect.objectContaining({ failure: 'invalid' }),
    );
  });
  it('takes hostIP from the node when the provider reports none', () => {
    expect(resolveFieldRef({ fieldPath: 'status.hostIPs' }, pod, { hostIPs: ['10.0.0.1', 'fd00::1'] })).toBe(
      '10.0.0.1,fd00::1',
    );
  });
});

describe('resolveResourceFieldRef', () => {
  it('reads another container by name and rounds CPU up to the divisor', () => {
    const containers = [
      { name: 'a', resources: { limits: { cpu: '1500m' } } },
      { name: 'b', resources: {} },
    ];
    const value = resolveResourceFieldRef(
      { resource: 'limits.cpu', containerName: 'a' },
      containers[1]!,
      containers,
      {},
    );
    expect(value).toBe('2');
    expect(() => resolveResourceFieldRef({ resource: 'limits.gpu' }, containers[1]!, containers, {})).toThrow(
      'unsupported resource "limits.gpu"',
    );
  });
});

describe('serviceLinkVariables', () => {
  it('brackets IPv6 cluster IPs and names every port', () => {
    const vars = serviceLinkVariables(
      'ns',
      true,
      [],
      [
        {
          metadata: { namespace: 'ns', name: 'dual' },
          spec: {
            clusterIP: 'fd00::10',
            ports: [{ port: 53, protocol: 'UDP', name: 'dns' }, { port: 9153 }],
          },
        },
      ],
    );
    expect(Object.fromEntries(vars)).toEqual({
      DUAL_SERVICE_HOST: 'fd00::10',
      DUAL_SERVICE_PORT: '53',
      DUAL_SERVICE_PORT_DNS: '53',
      DUAL_PORT: 'udp://[fd00::10]:53',
      DUAL_PORT_53_UDP: 'udp://[fd00::10]:53',
      DUAL_PORT_53_UDP_PROTO: 'udp',
      DUAL_PORT_53_UDP_PORT: '53',
      DUAL_PORT_53_UDP_ADDR: 'fd00::10',
      DUAL_PORT_9153_TCP: 'tcp://[fd00::10]:9153',
      DUAL_PORT_9153_TCP_PROTO: 'tcp',
      DUAL_PORT_9153_TCP_PORT: '9153',
      DUAL_PORT_9153_TCP_ADDR: 'fd00::10',
    });
  });
});
