import { describe, expect, it } from 'vitest';

import { metricsServerManifests, pinnedMetricsServerVersion } from '../../src/metrics-server.js';

interface Item {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  subjects?: { kind: string; name: string }[];
}

describe('metrics-server registration', () => {
  it('reads the pinned version from the wrapper module', () => {
    expect(pinnedMetricsServerVersion('module x\n\nrequire sigs.k8s.io/metrics-server v0.9.0\n')).toBe(
      'v0.9.0',
    );
    expect(pinnedMetricsServerVersion()).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(() => pinnedMetricsServerVersion('module x\n')).toThrow(/no "require sigs.k8s.io\/metrics-server/);
  });

  it('binds upstream roles to the user it runs as, and serves the APIService through an ExternalName on loopback', () => {
    const { items } = metricsServerManifests(4443, 'PEM') as { items: Item[] };
    const bindings = items.filter(item => item.kind.endsWith('Binding'));
    expect(bindings.map(b => b.metadata.name).sort()).toEqual([
      'metrics-server-auth-reader',
      'metrics-server:system:auth-delegator',
      'system:metrics-server',
    ]);
    for (const binding of bindings)
      expect(binding.subjects).toEqual([
        expect.objectContaining({ kind: 'User', name: 'system:metrics-server' }),
      ]);
    const service = items.find(item => item.kind === 'Service');
    expect(service?.spec).toEqual({
      type: 'ExternalName',
      externalName: '127.0.0.1',
      ports: [{ name: 'https', port: 4443 }],
    });
    const apiService = items.find(item => item.kind === 'APIService');
    expect(apiService?.metadata.name).toBe('v1beta1.metrics.k8s.io');
    expect(apiService?.spec).toMatchObject({
      service: { name: 'metrics-server', namespace: 'kube-system', port: 4443 },
      caBundle: Buffer.from('PEM').toString('base64'),
    });
    expect(apiService?.spec).not.toHaveProperty('insecureSkipTLSVerify');
  });
});
