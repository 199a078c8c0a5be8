import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { podReferences } from '../../../src/cache/pod-references.js';

describe('podReferences', () => {
  it('finds every ConfigMap and Secret a pod refers to, in its namespace', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'team' },
      spec: {
        initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'init-cm' } }] }],
        containers: [
          {
            name: 'c',
            env: [
              { name: 'A', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } },
              { name: 'B', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k', optional: true } } },
              { name: 'C', value: 'plain' },
              { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            envFrom: [{ secretRef: { name: 'envfrom-secret' } }],
          },
        ],
        ephemeralContainers: [
          { name: 'e', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'eph', key: 'k' } } }] },
        ],
        volumes: [
          { name: 'v1', configMap: { name: 'vol-cm' } },
          { name: 'v2', secret: { secretName: 'vol-secret' } },
          {
            name: 'v3',
            projected: {
              sources: [{ configMap: { name: 'proj-cm' } }, { secret: { name: 'proj-secret' } }, {}],
            },
          },
          { name: 'v4', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-secret' } } },
          { name: 'v5', emptyDir: {} },
          { name: 'v6', azureFile: { secretName: 'azure-file', shareName: 'share' } },
        ],
        imagePullSecrets: [{ name: 'pull' }],
      },
    };
    expect([...podReferences(pod)].sort()).toEqual(
      [
        'ConfigMap/team/env-cm',
        'ConfigMap/team/init-cm',
        'ConfigMap/team/proj-cm',
        'ConfigMap/team/vol-cm',
        'Secret/team/azure-file',
        'Secret/team/csi-secret',
        'Secret/team/env-secret',
        'Secret/team/envfrom-secret',
        'Secret/team/eph',
        'Secret/team/proj-secret',
        'Secret/team/pull',
        'Secret/team/vol-secret',
      ].sort(),
    );
  });

  it('counts an object referred to twice once, and finds nothing in a pod without references', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'ns' },
      spec: {
        containers: [{ name: 'a', envFrom: [{ secretRef: { name: 's' } }] }],
        volumes: [{ name: 'v', secret: { secretName: 's' } }],
      },
    };
    expect([...podReferences(pod)]).toEqual(['Secret/ns/s']);
    expect(podReferences({ metadata: { name: 'q' }, spec: { containers: [{ name: 'a' }] } }).size).toBe(0);
  });
});
