import type { V1Pod } from '@kubernetes/client-node';
import { isInvalidInput } from '@vkubelet/provider-kit';
import { fakeProviderContext, type FakeProviderContext } from '@vkubelet/provider-kit/testing';
import { beforeEach, describe, expect, it } from 'vitest';

import { buildContainerGroup, type GroupSettings } from '../../src/group/build.js';
import { credentialsOf, registryServer } from '../../src/group/registry-credentials.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const signal = () => ({ signal: AbortSignal.timeout(5_000) });
let context: FakeProviderContext;

function settings(operatingSystem: 'Linux' | 'Windows' = 'Linux'): GroupSettings {
  return {
    owner: { nodeName: 'vk-aci' },
    region: 'westeurope',
    operatingSystem,
    defaults: { cpu: 1, memory: 1.5e9, gpuSku: 'V100' },
    network: { clusterDomain: 'cluster.local' },
    sources: { resources: context.resources, tokens: context.tokens },
  };
}

function pod(
  volumes: NonNullable<V1Pod['spec']>['volumes'],
  extra: Partial<NonNullable<V1Pod['spec']>> = {},
): V1Pod {
  return {
    metadata: { namespace: 'team', name: 'web', uid: 'uid-1', labels: { b: '2', a: '1' } },
    spec: {
      serviceAccountName: 'builder',
      containers: [
        {
          name: 'app',
          image: 'x',
          resources: { limits: { memory: '64Mi' } },
          volumeMounts: (volumes ?? []).map(v => ({
            name: v.name,
            mountPath: `/mnt/${v.name}`,
            readOnly: true,
          })),
        },
      ],
      volumes,
      ...extra,
    },
  };
}

beforeEach(() => {
  context = fakeProviderContext();
  context.secrets.set('team/creds', {
    metadata: { name: 'creds' },
    data: { user: b64('admin'), 'pass.txt': b64('pw') },
  });
  context.configMaps.set('team/conf', {
    metadata: { name: 'conf' },
    data: { 'app.yaml': 'a: 1' },
    binaryData: { logo: b64('PNG') },
  });
  context.configMaps.set('team/kube-root-ca.crt', {
    metadata: { name: 'kube-root-ca.crt' },
    data: { 'ca.crt': 'CA' },
  });
  context.secrets.set('team/storage', {
    metadata: { name: 'storage' },
    data: { azurestorageaccountname: b64('acct'), azurestorageaccountkey: b64('key==') },
  });
});

describe('volumes', () => {
  it('carries emptyDir, secret and configMap volumes (base64 files) and mounts them', async () => {
    const { group } = await buildContainerGroup(
      pod([
        { name: 'scratch', emptyDir: {} },
        { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'user', path: 'username' }] } },
        { name: 'conf', configMap: { name: 'conf' } },
      ]),
      settings(),
      signal(),
    );
    expect(group.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'creds', secret: { username: b64('admin') } },
      { name: 'conf', secret: { 'app.yaml': b64('a: 1'), logo: b64('PNG') } },
    ]);
    expect(group.containers[0]!.volumeMounts).toEqual([
      { name: 'scratch', mountPath: '/mnt/scratch', readOnly: true },
      { name: 'creds', mountPath: '/mnt/creds', readOnly: true },
      { name: 'conf', mountPath: '/mnt/conf', readOnly: true },
    ]);
  });

  it('fills the service-account volume with a token from TokenRequest, the cluster CA and the namespace', async () => {
    const { group } = await buildContainerGroup(
      pod([
        {
          name: 'kube-api-access-x',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'api' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }],
                },
              },
            ],
          },
        },
      ]),
      settings(),
      signal(),
    );
    expect(context.issuedTokens).toEqual([
      {
        pod: 'team/web',
        serviceAccountName: 'builder',
        audience: 'api',
        expirationSeconds: 3607,
        token: 'token-1-for-team/builder',
      },
    ]);
    expect(group.volumes).toEqual([
      {
        name: 'kube-api-access-x',
        secret: { token: b64('token-1-for-team/builder'), 'ca.crt': b64('CA'), namespace: b64('team') },
      },
    ]);
  });

  it('writes downward API files: labels sorted, resources in units of the divisor', async () => {
    const { group } = await buildContainerGroup(
      pod([
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'a', fieldRef: { fieldPath: "metadata.labels['a']" } },
              {
                path: 'mem',
                resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
              },
            ],
          },
        },
      ]),
      settings(),
      signal(),
    );
    expect(group.volumes?.[0]?.secret).toEqual({ labels: b64('a="1"\nb="2"'), a: b64('1'), mem: b64('64') });
  });

  it('mounts an Azure Files share with the storage account from its Secret, and a git repository', async () => {
    const { group } = await buildContainerGroup(
      pod([
        { name: 'share', azureFile: { secretName: 'storage', shareName: 'data', readOnly: true } },
        { name: 'repo', gitRepo: { repository: 'https://example.com/r.git', revision: 'main' } },
      ]),
      settings(),
      signal(),
    );
    expect(group.volumes).toEqual([
      {
        name: 'share',
        azureFile: {
          shareName: 'data',
          storageAccountName: 'acct',
          storageAccountKey: 'key==',
          readOnly: true,
        },
      },
      { name: 'repo', gitRepo: { repository: 'https://example.com/r.git', revision: 'main' } },
    ]);
  });

  it('refuses a file path with directories, which ACI secret volumes cannot hold', async () => {
    await expect(
      buildContainerGroup(
        pod([{ name: 'creds', secret: { secretName: 'creds', items: [{ key: 'user', path: 'a/b' }] } }]),
        settings(),
        signal(),
      ),
    ).rejects.toThrow(/^spec\.volumes\[0\]\.secret\.items\[0\]\.path: "a\/b" is not a plain file name/);
  });

  it('on Windows leaves the service-account volume and its mounts out, and refuses other secret volumes', async () => {
    const sa = {
      name: 'kube-api-access-x',
      projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
    };
    const { group } = await buildContainerGroup(
      pod([sa, { name: 'tmp', emptyDir: {} }]),
      settings('Windows'),
      signal(),
    );
    expect(group.osType).toBe('Windows');
    expect(group.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    expect(group.containers[0]!.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/mnt/tmp', readOnly: true },
    ]);
    expect(context.issuedTokens).toEqual([]);
    const error = await buildContainerGroup(
      pod([{ name: 'c', configMap: { name: 'conf' } }]),
      settings('Windows'),
      signal(),
    ).catch(e => e);
    expect(isInvalidInput(error)).toBe(true);
    expect(String(error)).toContain(
      'spec.volumes[0].configMap: Windows container groups mount emptyDir volumes only',
    );
  });
});

describe('image pull secrets', () => {
  it('turns dockerconfigjson and dockercfg Secrets into registry credentials, one per registry', async () => {
    context.secrets.set('team/json', {
      metadata: { name: 'json' },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': b64(
          JSON.stringify({
            auths: {
              'https://index.docker.io/v1/': { auth: b64('me:pw1') },
              'myreg.azurecr.io': { username: 'sp', password: 'pw2' },
            },
          }),
        ),
      },
    });
    context.secrets.set('team/cfg', {
      metadata: { name: 'cfg' },
      type: 'kubernetes.io/dockercfg',
      data: {
        '.dockercfg': b64(
          JSON.stringify({
            'myreg.azurecr.io': { auth: b64('other:pw') },
            'quay.io': { auth: b64('q:pw3') },
          }),
        ),
      },
    });
    const { group } = await buildContainerGroup(
      pod([], { imagePullSecrets: [{ name: 'json' }, { name: 'missing' }, { name: 'cfg' }] }),
      settings(),
      signal(),
    );
    expect(group.imageRegistryCredentials).toEqual([
      { server: 'index.docker.io', username: 'me', password: 'pw1' },
      { server: 'myreg.azurecr.io', username: 'sp', password: 'pw2' },
      { server: 'quay.io', username: 'q', password: 'pw3' },
    ]);
  });

  it('strips protocol and path from registry keys, and refuses a secret without credentials', () => {
    expect(registryServer('https://registry.example.com:5000/v2/')).toBe('registry.example.com:5000');
    expect(() => credentialsOf({ metadata: { name: 'x' }, data: {} }, 'spec.imagePullSecrets[0]')).toThrow(
      'spec.imagePullSecrets[0]: secret x holds no .dockerconfigjson or .dockercfg',
    );
  });
});
