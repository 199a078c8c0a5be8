import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { errorMessage, isInvalidInput, isTransient } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { flattenParams } from '../../src/client/params.js';
import { buildCreateRequest, type GroupSettings } from '../../src/mapping/container-group.js';
import type { PodReferences } from '../../src/mapping/volumes.js';

const settings: GroupSettings = {
  clusterName: 'prod',
  nodeName: 'vk-eci',
  securityGroupId: 'sg-1',
  vSwitchIds: ['vsw-a', 'vsw-b'],
};
const none: PodReferences = { configMaps: new Map(), secrets: new Map() };
const UID = '0b8f8d5e-5d2c-4f43-9c1e-6f7f5b3f1a2b';

function pod(
  spec: Partial<NonNullable<V1Pod['spec']>> = {},
  meta: Partial<NonNullable<V1Pod['metadata']>> = {},
): V1Pod {
  return {
    metadata: { namespace: 'shop', name: 'web.v1', uid: UID, ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
  };
}

const app = (extra: Partial<V1Container>): V1Container => ({ name: 'app', image: 'busybox', ...extra });

/** The request as pop-core sends it. */
function flat(subject: V1Pod, references = none): Record<string, string> {
  return flattenParams(buildCreateRequest(subject, settings, references).params);
}

/** The message of the InvalidInputError a pod is refused with. */
function refusal(subject: V1Pod, references = none): string {
  try {
    buildCreateRequest(subject, settings, references);
  } catch (error) {
    expect(isInvalidInput(error), String(error)).toBe(true);
    return errorMessage(error);
  }
  throw new Error('the pod was accepted');
}

describe('buildCreateRequest', () => {
  it('makes one tagged group per pod, its ClientToken the UID, in the configured network', () => {
    expect(flat(pod())).toEqual({
      ContainerGroupName: 'shop-web-v1',
      ClientToken: UID,
      RestartPolicy: 'Always',
      SecurityGroupId: 'sg-1',
      VSwitchId: 'vsw-a,vsw-b',
      'Tag.1.Key': 'vkubelet.io/cluster',
      'Tag.1.Value': 'prod',
      'Tag.2.Key': 'vkubelet.io/node',
      'Tag.2.Value': 'vk-eci',
      'Tag.3.Key': 'vkubelet.io/pod-namespace',
      'Tag.3.Value': 'shop',
      'Tag.4.Key': 'vkubelet.io/pod-name',
      'Tag.4.Value': 'web.v1',
      'Tag.5.Key': 'vkubelet.io/pod-uid',
      'Tag.5.Value': UID,
      'Container.1.Name': 'app',
      'Container.1.Image': 'nginx:1.27',
    });
  });

  it('maps command, args, env, ports, working dir, pull policy, stdin and tty', () => {
    const request = flat(
      pod({
        restartPolicy: 'OnFailure',
        containers: [
          app({
            command: ['sh', '-c'],
            args: ['echo $GREETING'],
            workingDir: '/work',
            imagePullPolicy: 'IfNotPresent',
            env: [{ name: 'GREETING', value: 'hi' }, { name: 'EMPTY' }, { name: 'GREETING', value: 'hello' }],
            ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP', name: 'dns' }],
            stdin: true,
            tty: true,
          }),
        ],
      }),
    );
    expect(request).toMatchObject({
      RestartPolicy: 'OnFailure',
      'Container.1.Command.1': 'sh',
      'Container.1.Command.2': '-c',
      'Container.1.Arg.1': 'echo $GREETING',
      'Container.1.WorkingDir': '/work',
      'Container.1.ImagePullPolicy': 'IfNotPresent',
      // A repeated name: the last value wins, as in Kubernetes.
      'Container.1.EnvironmentVar.1.Key': 'EMPTY',
      'Container.1.EnvironmentVar.1.Value': '',
      'Container.1.EnvironmentVar.2.Key': 'GREETING',
      'Container.1.EnvironmentVar.2.Value': 'hello',
      'Container.1.Port.1.Port': '80',
      'Container.1.Port.1.Protocol': 'TCP',
      'Container.1.Port.2.Port': '53',
      'Container.1.Port.2.Protocol': 'UDP',
      'Container.1.Stdin': 'true',
      'Container.1.Tty': 'true',
    });
    expect(Object.values(request)).not.toContain('undefined');
  });

  it('moves more than 10 args after the command; refuses them without one', () => {
    const args = Array.from({ length: 11 }, (_, i) => `a${i}`);
    const request = flat(pod({ containers: [app({ command: ['run'], args })] }));
    expect(request['Container.1.Command.12']).toBe('a10');
    expect(Object.keys(request).some(key => key.includes('.Arg.'))).toBe(false);
    expect(refusal(pod({ containers: [app({ args })] }))).toMatch(/^spec\.containers\[0\]\.args: /);
  });

  it('sizes containers by limits, else requests, and the group to the smallest ECI specification', () => {
    const request = flat(
      pod({
        initContainers: [app({ name: 'init', resources: { requests: { cpu: '3', memory: '1Gi' } } })],
        containers: [
          app({
            resources: { requests: { cpu: '250m', memory: '100Mi' }, limits: { cpu: '1', memory: '1.5Gi' } },
          }),
          app({ name: 'side', resources: { requests: { cpu: '0.5', memory: '3Gi' } } }),
        ],
      }),
    );
    expect(request).toMatchObject({
      'InitContainer.1.Cpu': '3',
      'InitContainer.1.Memory': '1',
      'Container.1.Cpu': '1',
      'Container.1.Memory': '1.5',
      'Container.2.Cpu': '0.5',
      'Container.2.Memory': '3',
      // App containers together 1.5 vCPU / 4.5 GiB, the init container 3 vCPU: 4 vCPU / 8 GiB.
      Cpu: '4',
      Memory: '8',
    });
  });

  it('leaves the size to ECI when nothing is asked; takes spec.resources and GPUs', () => {
    expect(flat(pod())).not.toHaveProperty('Cpu');
    const request = flat(
      pod(
        {
          resources: { limits: { cpu: '8', memory: '16Gi' } },
          containers: [app({ resources: { limits: { 'nvidia.com/gpu': '1' } } })],
        },
        { annotations: { 'eci.vkubelet.io/instance-type': 'ecs.gn6i-c4g1.xlarge' } },
      ),
    );
    expect(request).toMatchObject({
      Cpu: '8',
      Memory: '16',
      'Container.1.Gpu': '1',
      InstanceType: 'ecs.gn6i-c4g1.xlarge',
    });
  });

  it('refuses a size no ECI specification holds, naming the field', () => {
    expect(refusal(pod({ containers: [app({ resources: { limits: { cpu: '65' } } })] }))).toMatch(
      /^spec\.containers\[\*\]\.resources\.cpu: the pod needs 65 vCPUs and 0 GiB; ECI's largest specification has 64 vCPUs and 512 GiB/,
    );
    expect(refusal(pod({ resources: { requests: { memory: '600Gi' } } }))).toMatch(
      /^spec\.resources\.memory: /,
    );
    expect(
      refusal(pod({ containers: [app({ resources: { limits: { 'example.com/fpga': '1' } } })] })),
    ).toMatch(/^spec\.containers\[0\]\.resources\.limits\.example\.com\/fpga: /);
    expect(
      refusal(pod({ containers: [app({ resources: { requests: { 'ephemeral-storage': '40Gi' } } })] })),
    ).toMatch(/ephemeral-storage: 40\.0 GiB asked; a group has 30 GiB/);
  });

  it('maps liveness and readiness probes, resolving named ports', () => {
    const request = flat(
      pod({
        containers: [
          app({
            ports: [{ name: 'http', containerPort: 8080 }],
            livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 5 },
            readinessProbe: { exec: { command: ['cat', '/ready'] }, failureThreshold: 2 },
          }),
        ],
      }),
    );
    expect(request).toMatchObject({
      'Container.1.LivenessProbe.HttpGet.Path': '/healthz',
      'Container.1.LivenessProbe.HttpGet.Port': '8080',
      'Container.1.LivenessProbe.HttpGet.Scheme': 'HTTP',
      'Container.1.LivenessProbe.PeriodSeconds': '5',
      'Container.1.ReadinessProbe.Exec.Command.1': 'cat',
      'Container.1.ReadinessProbe.Exec.Command.2': '/ready',
      'Container.1.ReadinessProbe.FailureThreshold': '2',
    });
  });

  it('maps emptyDir, nfs, configMap and secret volumes and their mounts; drops the service-account token', () => {
    const references: PodReferences = {
      configMaps: new Map([['conf', { data: { 'app.ini': 'x=1' }, binaryData: { 'logo.png': 'iVBORw==' } }]]),
      secrets: new Map([['creds', { data: { password: Buffer.from('s3cret').toString('base64') } }]]),
    };
    const request = flat(
      pod({
        volumes: [
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'share', nfs: { server: 'nas.example', path: '/export', readOnly: true } },
          {
            name: 'conf',
            configMap: { name: 'conf', items: [{ key: 'app.ini', path: 'etc/app.ini', mode: 0o600 }] },
          },
          { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
          {
            name: 'kube-api-access-x1y2z',
            projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
          },
        ],
        containers: [
          app({
            volumeMounts: [
              { name: 'scratch', mountPath: '/tmp/scratch' },
              { name: 'conf', mountPath: '/etc/app', readOnly: true, subPath: 'etc' },
              { name: 'kube-api-access-x1y2z', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
            ],
          }),
        ],
      }),
      references,
    );
    expect(request).toMatchObject({
      'Volume.1.Name': 'scratch',
      'Volume.1.Type': 'EmptyDirVolume',
      'Volume.1.EmptyDirVolume.Medium': 'Memory',
      'Volume.1.EmptyDirVolume.SizeLimit': '64Mi',
      'Volume.2.Type': 'NFSVolume',
      'Volume.2.NFSVolume.Server': 'nas.example',
      'Volume.2.NFSVolume.Path': '/export',
      'Volume.2.NFSVolume.ReadOnly': 'true',
      'Volume.3.Type': 'ConfigFileVolume',
      'Volume.3.ConfigFileVolume.ConfigFileToPath.1.Path': 'etc/app.ini',
      'Volume.3.ConfigFileVolume.ConfigFileToPath.1.Content': Buffer.from('x=1').toString('base64'),
      'Volume.3.ConfigFileVolume.ConfigFileToPath.1.Mode': String(0o600),
      'Volume.4.ConfigFileVolume.ConfigFileToPath.1.Path': 'password',
      'Volume.4.ConfigFileVolume.ConfigFileToPath.1.Content': Buffer.from('s3cret').toString('base64'),
      'Volume.4.ConfigFileVolume.DefaultMode': String(0o400),
      'Container.1.VolumeMount.1.Name': 'scratch',
      'Container.1.VolumeMount.1.MountPath': '/tmp/scratch',
      'Container.1.VolumeMount.1.ReadOnly': 'false',
      'Container.1.VolumeMount.2.SubPath': 'etc',
      'Container.1.VolumeMount.2.ReadOnly': 'true',
    });
    expect(request).not.toHaveProperty('Volume.5.Name');
    expect(request).not.toHaveProperty('Container.1.VolumeMount.3.Name');
  });

  it('waits for a missing ConfigMap or Secret (retried) unless optional; an empty one is an empty dir', () => {
    let error: unknown;
    try {
      buildCreateRequest(pod({ volumes: [{ name: 'c', configMap: { name: 'gone' } }] }), settings, none);
    } catch (caught) {
      error = caught;
    }
    expect(isTransient(error)).toBe(true);
    expect(errorMessage(error)).toBe('spec.volumes[0].configMap: configMap shop/gone not found');
    const optional = flat(pod({ volumes: [{ name: 'c', secret: { secretName: 'gone', optional: true } }] }));
    expect(optional).toMatchObject({ 'Volume.1.Type': 'EmptyDirVolume' });
  });

  it('turns image pull secrets into registry credentials, warning about a missing one', () => {
    const dockerConfig = (auths: object) => ({
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
    });
    const references: PodReferences = {
      configMaps: new Map(),
      secrets: new Map([
        ['acr', dockerConfig({ 'registry.cn-hangzhou.aliyuncs.com': { username: 'u', password: 'p' } })],
        [
          'hub',
          dockerConfig({
            'https://index.docker.io/v1/': { auth: Buffer.from('me:pw:x').toString('base64') },
          }),
        ],
      ]),
    };
    const { params, warnings } = buildCreateRequest(
      pod({ imagePullSecrets: [{ name: 'acr' }, { name: 'hub' }, { name: 'gone' }] }),
      settings,
      references,
    );
    expect(flattenParams(params)).toMatchObject({
      'ImageRegistryCredential.1.Server': 'registry.cn-hangzhou.aliyuncs.com',
      'ImageRegistryCredential.1.UserName': 'u',
      'ImageRegistryCredential.1.Password': 'p',
      'ImageRegistryCredential.2.Server': 'index.docker.io',
      'ImageRegistryCredential.2.UserName': 'me',
      'ImageRegistryCredential.2.Password': 'pw:x',
    });
    expect(warnings).toEqual(['image pull secret gone not found; pulling without it']);
  });

  it('maps the pod-level fields ECI has', () => {
    expect(
      flat(
        pod({
          activeDeadlineSeconds: 600,
          terminationGracePeriodSeconds: 5,
          hostname: 'web-0',
          dnsPolicy: 'Default',
          securityContext: {
            runAsUser: 1000,
            runAsNonRoot: true,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            app({
              securityContext: { readOnlyRootFilesystem: true, capabilities: { add: ['CAP_NET_ADMIN'] } },
            }),
          ],
        }),
      ),
    ).toMatchObject({
      ActiveDeadlineSeconds: '600',
      TerminationGracePeriodSeconds: '5',
      HostName: 'web-0',
      DnsPolicy: 'Default',
      'Container.1.SecurityContext.ReadOnlyRootFilesystem': 'true',
      'Container.1.SecurityContext.RunAsUser': '1000',
      'Container.1.SecurityContext.Capability.Add.1': 'NET_ADMIN',
    });
  });

  it.each<[string, V1Pod, RegExp]>([
    ['hostNetwork', pod({ hostNetwork: true }), /^spec\.hostNetwork: /],
    ['hostPID', pod({ hostPID: true }), /^spec\.hostPID: /],
    ['shareProcessNamespace', pod({ shareProcessNamespace: true }), /^spec\.shareProcessNamespace: /],
    ['os', pod({ os: { name: 'windows' } }), /^spec\.os\.name: /],
    ['dnsConfig', pod({ dnsConfig: { nameservers: ['1.1.1.1'] } }), /^spec\.dnsConfig: /],
    ['hostAliases', pod({ hostAliases: [{ ip: '10.0.0.1', hostnames: ['db'] }] }), /^spec\.hostAliases: /],
    ['fsGroup', pod({ securityContext: { fsGroup: 2000 } }), /^spec\.securityContext\.fsGroup: /],
    [
      'sysctls',
      pod({ securityContext: { sysctls: [{ name: 'a', value: '1' }] } }),
      /^spec\.securityContext\.sysctls: /,
    ],
    ['runtimeClassName', pod({ runtimeClassName: 'gvisor' }), /^spec\.runtimeClassName: /],
    [
      'hostPath',
      pod({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }),
      /^spec\.volumes\[0\]\.hostPath: /,
    ],
    [
      'a persistentVolumeClaim',
      pod({ volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] }),
      /^spec\.volumes\[0\]\.persistentVolumeClaim: /,
    ],
    [
      'a projected volume of its own',
      pod({ volumes: [{ name: 'p', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }] }),
      /^spec\.volumes\[0\]\.projected: /,
    ],
    [
      'a lifecycle hook',
      pod({ containers: [app({ lifecycle: { preStop: { exec: { command: ['x'] } } } })] }),
      /^spec\.containers\[0\]\.lifecycle: /,
    ],
    [
      'a startup probe',
      pod({ containers: [app({ startupProbe: { exec: { command: ['x'] } } })] }),
      /\.startupProbe: /,
    ],
    [
      'a gRPC probe',
      pod({ containers: [app({ readinessProbe: { grpc: { port: 9000 } } })] }),
      /^spec\.containers\[0\]\.readinessProbe\.grpc: /,
    ],
    [
      'probe headers',
      pod({
        containers: [
          app({ livenessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'a', value: 'b' }] } } }),
        ],
      }),
      /\.livenessProbe\.httpGet\.httpHeaders: /,
    ],
    [
      'an unknown named port',
      pod({ containers: [app({ livenessProbe: { tcpSocket: { port: 'web' } } })] }),
      /\.livenessProbe\.tcpSocket\.port: no port of the container is named web/,
    ],
    [
      'a host port',
      pod({ containers: [app({ ports: [{ containerPort: 80, hostPort: 80 }] })] }),
      /\.ports\[0\]\.hostPort: /,
    ],
    [
      'SCTP',
      pod({ containers: [app({ ports: [{ containerPort: 80, protocol: 'SCTP' }] })] }),
      /\.ports\[0\]\.protocol: /,
    ],
    [
      'privileged',
      pod({ containers: [app({ securityContext: { privileged: true } })] }),
      /\.securityContext\.privileged: /,
    ],
    [
      'dropped capabilities',
      pod({ containers: [app({ securityContext: { capabilities: { drop: ['ALL'] } } })] }),
      /\.securityContext\.capabilities\.drop: /,
    ],
    [
      'runAsNonRoot without a user',
      pod({ containers: [app({ securityContext: { runAsNonRoot: true } })] }),
      /\.securityContext\.runAsNonRoot: /,
    ],
    [
      'an env name ECI refuses',
      pod({ containers: [app({ env: [{ name: 'my.var', value: '1' }] })] }),
      /\.env\[0\]\.name: /,
    ],
    [
      'a sidecar',
      pod({ initContainers: [app({ name: 'proxy', restartPolicy: 'Always' })] }),
      /^spec\.initContainers\[0\]\.restartPolicy: /,
    ],
    [
      'a subPathExpr',
      pod({ containers: [app({ volumeMounts: [{ name: 'v', mountPath: '/v', subPathExpr: '$(X)' }] })] }),
      /\.subPathExpr: /,
    ],
    ['a pod name longer than a tag', pod({}, { name: 'x'.repeat(129) }), /^metadata\.name: /],
  ])('refuses %s, naming the field', (_what, subject, message) => {
    expect(refusal(subject)).toMatch(message);
  });
});
