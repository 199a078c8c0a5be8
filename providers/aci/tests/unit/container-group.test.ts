import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage, isInvalidInput, isTransient } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { describe, expect, it } from 'vitest';

import { buildContainerGroup, type GroupSettings } from '../../src/group/build.js';
import { containerGroupName, TAG } from '../../src/group/naming.js';

const signal = () => ({ signal: AbortSignal.timeout(5_000) });

function settings(overrides: Partial<GroupSettings> = {}, context = fakeProviderContext()): GroupSettings {
  return {
    owner: { nodeName: 'vk-aci', clusterName: 'blue' },
    region: 'westeurope',
    operatingSystem: 'Linux',
    defaults: { cpu: 1, memory: 1.5e9, gpuSku: 'V100' },
    network: { clusterDomain: 'cluster.local' },
    sources: { resources: context.resources, tokens: context.tokens },
    ...overrides,
  };
}

function pod(
  spec: Partial<NonNullable<V1Pod['spec']>> = {},
  metadata: Partial<NonNullable<V1Pod['metadata']>> = {},
): V1Pod {
  return {
    metadata: { namespace: 'team', name: 'web', uid: 'uid-1', ...metadata },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
  };
}

async function refusal(p: V1Pod, s = settings()): Promise<string> {
  try {
    await buildContainerGroup(p, s, signal());
  } catch (err) {
    expect(isInvalidInput(err), String(err)).toBe(true);
    return errorMessage(err);
  }
  throw new Error('the pod was accepted');
}

describe('buildContainerGroup', () => {
  it('maps a plain pod: name, tags, OS, restart policy, default resources, env as given', async () => {
    const { name, group } = await buildContainerGroup(
      pod({
        containers: [
          {
            name: 'app',
            image: 'nginx:1.27',
            env: [
              { name: 'A', value: '1' },
              { name: 'E', value: '' },
            ],
          },
        ],
      }),
      settings(),
      signal(),
    );
    expect(name).toBe(containerGroupName('team', 'web'));
    expect(group).toEqual({
      location: 'westeurope',
      tags: {
        [TAG.uid]: 'uid-1',
        [TAG.namespace]: 'team',
        [TAG.name]: 'web',
        [TAG.node]: 'vk-aci',
        [TAG.cluster]: 'blue',
      },
      osType: 'Linux',
      restartPolicy: 'Always',
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          environmentVariables: [
            { name: 'A', value: '1' },
            { name: 'E', value: '' },
          ],
          resources: { requests: { cpu: 1, memoryInGB: 1.5 } },
        },
      ],
    });
  });

  it('sends values core read from a Secret as secureValue', async () => {
    const { group } = await buildContainerGroup(
      pod({
        containers: [
          {
            name: 'app',
            image: 'nginx',
            env: [
              { name: 'PLAIN', value: 'p' },
              { name: 'TOKEN', value: 's3cr3t', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
            ],
          },
        ],
      }),
      settings(),
      signal(),
    );
    expect(group.containers[0]!.environmentVariables).toEqual([
      { name: 'PLAIN', value: 'p' },
      { name: 'TOKEN', secureValue: 's3cr3t' },
    ]);
  });

  it.each([
    [{ command: ['sh', '-c'], args: ['echo hi'] }, ['sh', '-c', 'echo hi']],
    [{ command: ['/app'] }, ['/app']],
    [{}, undefined],
  ])('command %j becomes %j', async (fields, command) => {
    const { group } = await buildContainerGroup(
      pod({ containers: [{ name: 'app', image: 'x', ...fields }] }),
      settings(),
      signal(),
    );
    expect(group.containers[0]!.command).toEqual(command);
  });

  it('refuses args without a command, naming the field', async () => {
    expect(await refusal(pod({ containers: [{ name: 'app', image: 'x', args: ['--flag'] }] }))).toMatch(
      /^spec\.containers\[0\]\.args: ACI cannot keep the image's entrypoint/,
    );
  });

  it('rounds requests and limits up to ACI steps, requests default to limits, and GPUs come from limits', async () => {
    const { group } = await buildContainerGroup(
      pod(
        {
          containers: [
            {
              name: 'a',
              image: 'x',
              resources: {
                requests: { cpu: '250m', memory: '300Mi' },
                limits: { cpu: '1001m', memory: '1Gi' },
              },
            },
            {
              name: 'b',
              image: 'x',
              resources: { limits: { cpu: '1m', memory: '1', 'nvidia.com/gpu': '2' } },
            },
          ],
        },
        { annotations: { 'virtual-kubelet.io/gpu-type': 'k80' } },
      ),
      settings(),
      signal(),
    );
    expect(group.containers.map(c => c.resources)).toEqual([
      { requests: { cpu: 0.25, memoryInGB: 0.4 }, limits: { cpu: 1.01, memoryInGB: 1.1 } },
      {
        requests: { cpu: 0.01, memoryInGB: 0.1, gpu: { count: 2, sku: 'K80' } },
        limits: { cpu: 0.01, memoryInGB: 0.1, gpu: { count: 2, sku: 'K80' } },
      },
    ]);
  });

  it('maps exec and httpGet probes, resolving named ports', async () => {
    const { group } = await buildContainerGroup(
      pod({
        containers: [
          {
            name: 'app',
            image: 'x',
            ports: [{ name: 'http', containerPort: 8080 }],
            livenessProbe: { exec: { command: ['true'] }, periodSeconds: 5, failureThreshold: 2 },
            readinessProbe: {
              httpGet: {
                path: '/ready',
                port: 'http',
                scheme: 'HTTPS',
                httpHeaders: [{ name: 'X', value: 'y' }],
              },
              initialDelaySeconds: 1,
              timeoutSeconds: 2,
              successThreshold: 1,
            },
          },
        ],
      }),
      settings(),
      signal(),
    );
    expect(group.containers[0]).toMatchObject({
      ports: [{ port: 8080, protocol: 'TCP' }],
      livenessProbe: { exec: { command: ['true'] }, periodSeconds: 5, failureThreshold: 2 },
      readinessProbe: {
        httpGet: { path: '/ready', port: 8080, scheme: 'https', httpHeaders: [{ name: 'X', value: 'y' }] },
        initialDelaySeconds: 1,
        timeoutSeconds: 2,
        successThreshold: 1,
      },
    });
  });

  it('gives a public IP to a group with ports, with the DNS label annotation; none without ports', async () => {
    const withPorts = await buildContainerGroup(
      pod(
        {
          containers: [
            {
              name: 'app',
              image: 'x',
              ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
            },
          ],
        },
        { annotations: { 'virtualkubelet.io/dnsnamelabel': 'my-web' } },
      ),
      settings(),
      signal(),
    );
    expect(withPorts.group.ipAddress).toEqual({
      type: 'Public',
      ports: [
        { port: 80, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      dnsNameLabel: 'my-web',
    });
    expect((await buildContainerGroup(pod(), settings(), signal())).group.ipAddress).toBeUndefined();
  });

  it('puts every group in the subnet with a private IP and cluster DNS when configured', async () => {
    const subnetId =
      '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/aci';
    const { group } = await buildContainerGroup(
      pod({ dnsConfig: { searches: ['corp.example'], options: [{ name: 'ndots', value: '2' }] } }),
      settings({ network: { clusterDomain: 'cluster.local', subnetId, kubeDnsIP: '10.0.0.10' } }),
      signal(),
    );
    expect(group).toMatchObject({
      ipAddress: { type: 'Private', ports: [] },
      subnetIds: [{ id: subnetId }],
      dnsConfig: {
        nameServers: ['10.0.0.10'],
        searchDomains: 'team.svc.cluster.local svc.cluster.local cluster.local corp.example',
        options: 'ndots:2',
      },
    });
  });

  it('maps init containers without their resources, and refuses their ports and probes', async () => {
    const { group } = await buildContainerGroup(
      pod({
        initContainers: [
          {
            name: 'init',
            image: 'busybox',
            command: ['sh', '-c', 'true'],
            resources: { requests: { cpu: '100m' } },
          },
        ],
      }),
      settings(),
      signal(),
    );
    expect(group.initContainers).toEqual([
      { name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], environmentVariables: [] },
    ]);
    expect(
      await refusal(pod({ initContainers: [{ name: 'i', image: 'x', ports: [{ containerPort: 1 }] }] })),
    ).toMatch(/^spec\.initContainers\[0\]\.ports:/);
  });

  it.each([
    [{ hostNetwork: true }, 'spec.hostNetwork'],
    [{ hostAliases: [{ ip: '1.2.3.4', hostnames: ['a'] }] }, 'spec.hostAliases'],
    [{ securityContext: { fsGroup: 1000 } }, 'spec.securityContext.fsGroup'],
    [{ securityContext: { sysctls: [{ name: 'a', value: 'b' }] } }, 'spec.securityContext.sysctls'],
    [{ os: { name: 'windows' } }, 'spec.os.name'],
    [{ activeDeadlineSeconds: 10 }, 'spec.activeDeadlineSeconds'],
    [{ containers: [{ name: 'app', image: 'x', workingDir: '/w' }] }, 'spec.containers[0].workingDir'],
    [
      { containers: [{ name: 'app', image: 'x', lifecycle: { preStop: { exec: { command: ['x'] } } } }] },
      'spec.containers[0].lifecycle',
    ],
    [
      { containers: [{ name: 'app', image: 'x', startupProbe: { exec: { command: ['x'] } } }] },
      'spec.containers[0].startupProbe',
    ],
    [
      { containers: [{ name: 'app', image: 'x', livenessProbe: { tcpSocket: { port: 80 } } }] },
      'spec.containers[0].livenessProbe.tcpSocket',
    ],
    [
      { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }] }] },
      'spec.containers[0].ports[0].hostPort',
    ],
    [
      { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 80, protocol: 'SCTP' }] }] },
      'spec.containers[0].ports[0].protocol',
    ],
    [
      { containers: [{ name: 'app', image: 'x', resources: { limits: { 'hugepages-2Mi': '2Mi' } } }] },
      'spec.containers[0].resources.limits.hugepages-2Mi',
    ],
    [
      { containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }] },
      'spec.containers[0].securityContext.privileged',
    ],
    [
      { containers: [{ name: 'app', image: 'x', securityContext: { runAsNonRoot: true } }] },
      'spec.containers[0].securityContext.runAsNonRoot',
    ],
    [
      {
        containers: [
          { name: 'app', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'a' }] },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
      'spec.containers[0].volumeMounts[0].subPath',
    ],
    [{ volumes: [{ name: 'v', hostPath: { path: '/' } }] }, 'spec.volumes[0].hostPath'],
    [
      { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }] },
      'spec.volumes[0].persistentVolumeClaim',
    ],
    [{ volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }] }, 'spec.volumes[0].emptyDir.medium'],
  ] as Array<[Partial<NonNullable<V1Pod['spec']>>, string]>)('refuses %j naming %s', async (spec, field) => {
    const message = await refusal(pod(spec));
    expect(message.startsWith(`${field}: `), message).toBe(true);
    expect(message).toContain('not supported on Azure Container Instances');
  });

  it('refuses a DNS label without ports, and in a subnet', async () => {
    const labelled = pod({}, { annotations: { 'virtualkubelet.io/dnsnamelabel': 'web' } });
    expect(await refusal(labelled)).toMatch(
      /^metadata\.annotations\[virtualkubelet\.io\/dnsnamelabel\]: a public DNS name needs/,
    );
    const subnetId =
      '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/aci';
    const inSubnet = settings({ network: { clusterDomain: 'cluster.local', subnetId } });
    expect(await refusal(labelled, inSubnet)).toMatch(/private addresses, without DNS names/);
  });

  it('maps security settings ACI has fields for, the pod setting the defaults', async () => {
    const { group } = await buildContainerGroup(
      pod({
        securityContext: { runAsUser: 1000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'app',
            image: 'x',
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
              runAsGroup: 3000,
            },
          },
        ],
      }),
      settings(),
      signal(),
    );
    expect(group.containers[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsUser: 1000,
      runAsGroup: 3000,
    });
  });

  it('reads nothing from the API server for a pod it refuses', async () => {
    const context = fakeProviderContext();
    let reads = 0;
    context.resources.getSecret = async () => {
      reads++;
      return undefined;
    };
    await refusal(
      pod({
        hostNetwork: true,
        volumes: [{ name: 's', secret: { secretName: 's' } }],
        imagePullSecrets: [{ name: 'p' }],
      }),
      settings({}, context),
    );
    expect(reads).toBe(0);
    expect(context.issuedTokens).toEqual([]);
  });

  it('waits (TransientError) for a Secret volume that does not exist yet', async () => {
    let error: unknown;
    try {
      await buildContainerGroup(
        pod({ volumes: [{ name: 's', secret: { secretName: 'later' } }] }),
        settings(),
        signal(),
      );
    } catch (err) {
      error = err;
    }
    expect(isTransient(error)).toBe(true);
    expect(String(error)).toContain('secret "team/later" not found (spec.volumes[0].secret)');
  });
});
