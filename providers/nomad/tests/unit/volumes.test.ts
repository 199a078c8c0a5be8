import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { isInvalidInput, isTransient, type ResourceLister } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { buildJob } from '../../src/mapping/job.js';
import { readVolumeFiles } from '../../src/mapping/volumes.js';
import { container, pod, settings } from './fixtures.js';

function lister(configMaps: Record<string, V1ConfigMap>, secrets: Record<string, V1Secret>): ResourceLister {
  return {
    getConfigMap: async (namespace, name) => configMaps[`${namespace}/${name}`],
    getSecret: async (namespace, name) => secrets[`${namespace}/${name}`],
    listServices: async () => [],
  };
}

const resources = lister(
  {
    'default/cfg': {
      data: { 'app.conf': 'port = {{ 80 }}\n' },
      binaryData: { 'logo.bin': Buffer.from([0, 1, 2]).toString('base64') },
    },
  },
  { 'default/creds': { data: { password: Buffer.from('s3cret').toString('base64') } } },
);

const withVolumes = pod({
  volumes: [
    { name: 'cfg', configMap: { name: 'cfg' } },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
    { name: 'scratch', emptyDir: {} },
    {
      name: 'kube-api-access-x',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token' } },
          { configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ],
  containers: [
    container('app', {
      volumeMounts: [
        { name: 'cfg', mountPath: '/etc/app' },
        { name: 'creds', mountPath: '/run/creds', subPath: 'password' },
        { name: 'scratch', mountPath: '/scratch' },
        {
          name: 'kube-api-access-x',
          mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
          readOnly: true,
        },
      ],
    }),
    container('sidecar', { volumeMounts: [{ name: 'scratch', mountPath: '/data', readOnly: true }] }),
  ],
});

/** What a template renders: the base64 inside `{{ base64Decode "…" }}`, decoded. */
function rendered(template: { EmbeddedTmpl: string }): string {
  const match = /^\{\{ base64Decode "([A-Za-z0-9+/=]*)" \}\}$/.exec(template.EmbeddedTmpl);
  expect(match).not.toBeNull();
  return Buffer.from(match![1]!, 'base64').toString('latin1');
}

describe('volumes → templates and bind mounts', () => {
  it('renders configMap, secret and projected files into the task dir and binds them at the mount paths', async () => {
    const files = await readVolumeFiles(withVolumes, resources);
    const [app, sidecar] = buildJob(withVolumes, settings, { volumeFiles: files }).TaskGroups[0]!.Tasks;
    const templates = app!.Templates!.map(t => [t.DestPath, rendered(t), t.Perms, t.ChangeMode]);
    expect(templates).toEqual([
      // Template syntax in the content is data, not a template: the bytes travel in base64.
      ['local/vk-volumes/cfg/app.conf', 'port = {{ 80 }}\n', '0644', 'noop'],
      ['local/vk-volumes/cfg/logo.bin', '\u0000\u0001\u0002', '0644', 'noop'],
      ['secrets/vk-volumes/creds/password', 's3cret', '0400', 'noop'],
      // No TokenRequest in the provider contract: the token is left out, the rest is there.
      ['secrets/vk-volumes/kube-api-access-x/ca.crt', 'port = {{ 80 }}\n', '0644', 'noop'],
      ['secrets/vk-volumes/kube-api-access-x/namespace', 'default', '0644', 'noop'],
    ]);
    expect(app!.Config['volumes']).toEqual([
      'local/vk-volumes/cfg:/etc/app:ro',
      'secrets/vk-volumes/creds/password:/run/creds:ro',
      '../alloc/vk-volumes/scratch:/scratch',
      'secrets/vk-volumes/kube-api-access-x:/var/run/secrets/kubernetes.io/serviceaccount:ro',
    ]);
    // emptyDir is the allocation's shared directory, the same for every task.
    expect(sidecar!.Templates).toBeUndefined();
    expect(sidecar!.Config['volumes']).toEqual(['../alloc/vk-volumes/scratch:/data:ro']);
  });

  it('a missing configMap is retried unless optional; a missing item key is refused', async () => {
    const missing = pod({ volumes: [{ name: 'v', configMap: { name: 'absent' } }] });
    await expect(readVolumeFiles(missing, resources)).rejects.toSatisfy(isTransient);
    const optional = pod({ volumes: [{ name: 'v', configMap: { name: 'absent', optional: true } }] });
    expect((await readVolumeFiles(optional, resources)).get('v')).toEqual([]);
    const badKey = pod({
      volumes: [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'x' }] } }],
    });
    await expect(readVolumeFiles(badKey, resources)).rejects.toSatisfy(isInvalidInput);
  });

  it('drivers without mounts drop only the service-account volume and refuse other mounts', async () => {
    const raw = { ...settings, driver: 'raw_exec' as const };
    const saOnly = pod({
      volumes: [withVolumes.spec!.volumes![3]!],
      containers: [container('app', { volumeMounts: [withVolumes.spec!.containers[0]!.volumeMounts![3]!] })],
    });
    const files = await readVolumeFiles(saOnly, resources);
    const task = buildJob(saOnly, raw, { volumeFiles: files }).TaskGroups[0]!.Tasks[0]!;
    expect(task.Templates).toBeUndefined();
    expect(task.Config['volumes']).toBeUndefined();
    expect(() => buildJob(withVolumes, raw, { volumeFiles: new Map() })).toThrow(
      /spec\.containers\[0\]\.volumeMounts\[0\]: the task's driver mounts no volumes/,
    );
  });

  it('refuses sub-path expressions, escaping sub-paths and mounts of unknown volumes', () => {
    const mount = (m: object) =>
      pod({
        volumes: [{ name: 'v', emptyDir: {} }],
        containers: [container('a', { volumeMounts: [{ name: 'v', mountPath: '/m', ...m }] })],
      });
    const build = (p: ReturnType<typeof pod>) => () => buildJob(p, settings, { volumeFiles: new Map() });
    expect(build(mount({ subPathExpr: '$(POD)' }))).toThrow(/volumeMounts\[0\]\.subPathExpr/);
    expect(build(mount({ subPath: '../../etc' }))).toThrow(/volumeMounts\[0\]\.subPath/);
    expect(build(mount({ name: 'other' }))).toThrow(/volumeMounts\[0\]\.name: no volume "other"/);
  });
});
