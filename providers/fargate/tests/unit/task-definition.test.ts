import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { TAG, taskFamily } from '../../src/identity.js';
import {
  buildTaskDefinition,
  TASK_ROLE_ANNOTATION,
  type TaskDefinitionSettings,
} from '../../src/task-definition.js';

const settings: TaskDefinitionSettings = {
  nodeName: 'vk-fargate',
  region: 'eu-west-1',
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  logGroup: '/vk/pods',
  logStreamPrefix: 'vk',
};

function pod(spec: Partial<V1PodSpec> = {}, container: Partial<V1Container> = {}): V1Pod {
  return {
    metadata: { namespace: 'team-a', name: 'web.v1', uid: '0d9a4a7e-8a53-4d5f-9f43-3ad3c7b6d1f2' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec },
  };
}

/** The InvalidInputError message buildTaskDefinition throws, or a failure if it does not. */
function refusal(input: V1Pod): string {
  try {
    buildTaskDefinition(input, settings);
  } catch (err) {
    expect(isInvalidInput(err), String(err)).toBe(true);
    return errorMessage(err);
  }
  throw new Error('the pod was accepted');
}

describe('buildTaskDefinition', () => {
  it('maps a pod to one Fargate task definition in the pod family', () => {
    const definition = buildTaskDefinition(
      pod(
        {},
        {
          command: ['/bin/server'],
          args: ['--port', '8080'],
          workingDir: '/srv',
          env: [{ name: 'MODE', value: 'prod' }, { name: 'EMPTY' }],
          ports: [
            { containerPort: 8080, name: 'http' },
            { containerPort: 53, protocol: 'UDP' },
          ],
          resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        },
      ),
      settings,
    );
    expect(definition).toMatchObject({
      family: 'vk-team-a-web_v1',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      executionRoleArn: settings.executionRoleArn,
    });
    expect(definition.containerDefinitions).toEqual([
      {
        name: 'app',
        image: 'nginx:1.27',
        entryPoint: ['/bin/server'],
        command: ['--port', '8080'],
        workingDirectory: '/srv',
        environment: [
          { name: 'MODE', value: 'prod' },
          { name: 'EMPTY', value: '' },
        ],
        essential: true,
        cpu: 512,
        memory: 1024,
        memoryReservation: 512,
        portMappings: [
          { containerPort: 8080, protocol: 'tcp', name: 'http' },
          { containerPort: 53, protocol: 'udp' },
        ],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/vk/pods',
            'awslogs-region': 'eu-west-1',
            'awslogs-stream-prefix': 'vk',
          },
        },
      },
    ]);
    expect(definition.tags).toEqual(
      expect.arrayContaining([
        { key: TAG.uid, value: '0d9a4a7e-8a53-4d5f-9f43-3ad3c7b6d1f2' },
        { key: TAG.namespace, value: 'team-a' },
        { key: TAG.name, value: 'web.v1' },
        { key: TAG.node, value: 'vk-fargate' },
      ]),
    );
  });

  it('sums all containers and rounds up to a valid size', () => {
    const definition = buildTaskDefinition(
      pod({
        containers: [
          { name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '3Gi' } } },
          { name: 'b', image: 'y', resources: { requests: { cpu: '1100m', memory: '2Gi' } } },
        ],
      }),
      settings,
    );
    // 1024 + 1127 units, 5 GiB → the 4 vCPU row (2 vCPU would fit the memory but not the CPU).
    expect({ cpu: definition.cpu, memory: definition.memory }).toEqual({ cpu: '4096', memory: '8192' });
  });

  it('gives containers without memory settings an equal share of what the others leave', () => {
    const definition = buildTaskDefinition(
      pod({
        containers: [
          { name: 'a', image: 'x', resources: { requests: { memory: '1Gi' } } },
          { name: 'b', image: 'y' },
          { name: 'c', image: 'z' },
        ],
      }),
      settings,
    );
    expect(definition.memory).toBe('1024');
    expect(definition.containerDefinitions?.map(c => [c.memoryReservation, c.memory])).toEqual([
      [1024, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
    const roomy = buildTaskDefinition(
      pod({
        containers: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'y' },
        ],
      }),
      settings,
    );
    expect(roomy.containerDefinitions?.map(c => c.memoryReservation)).toEqual([256, 256]);
  });

  it('runs init containers one after another before the app containers', () => {
    const definition = buildTaskDefinition(
      pod({
        initContainers: [
          { name: 'migrate', image: 'm' },
          { name: 'seed', image: 's' },
        ],
        containers: [
          { name: 'app', image: 'a' },
          { name: 'sidecar', image: 'b' },
        ],
      }),
      settings,
    );
    const byName = Object.fromEntries((definition.containerDefinitions ?? []).map(c => [c.name, c]));
    expect(byName['migrate']).toMatchObject({ essential: false });
    expect(byName['migrate']?.dependsOn).toBeUndefined();
    expect(byName['seed']).toMatchObject({
      essential: false,
      dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }],
    });
    expect(byName['app']).toMatchObject({
      essential: true,
      dependsOn: [{ containerName: 'seed', condition: 'SUCCESS' }],
    });
    expect(byName['sidecar']).toMatchObject({
      essential: true,
      dependsOn: [{ containerName: 'seed', condition: 'SUCCESS' }],
    });
  });

  it('maps emptyDir volumes, drops the injected service-account token mount', () => {
    const definition = buildTaskDefinition(
      pod(
        {
          volumes: [
            { name: 'scratch', emptyDir: {} },
            {
              name: 'kube-api-access-x1',
              projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
            },
          ],
        },
        {
          volumeMounts: [
            { name: 'scratch', mountPath: '/tmp/scratch' },
            {
              name: 'kube-api-access-x1',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              readOnly: true,
            },
          ],
        },
      ),
      settings,
    );
    expect(definition.volumes).toEqual([{ name: 'scratch' }]);
    expect(definition.containerDefinitions?.[0]?.mountPoints).toEqual([
      { sourceVolume: 'scratch', containerPath: '/tmp/scratch', readOnly: false },
    ]);
  });

  it('maps the security context Fargate supports', () => {
    const container = buildTaskDefinition(
      pod(
        { shareProcessNamespace: true },
        {
          securityContext: {
            runAsUser: 1000,
            runAsGroup: 2000,
            readOnlyRootFilesystem: true,
            capabilities: { add: ['SYS_PTRACE'], drop: ['ALL'] },
          },
        },
      ),
      settings,
    );
    expect(container.pidMode).toBe('task');
    expect(container.containerDefinitions?.[0]).toMatchObject({
      user: '1000:2000',
      readonlyRootFilesystem: true,
      linuxParameters: { capabilities: { add: ['SYS_PTRACE'], drop: ['ALL'] } },
    });
  });

  it('takes the task role from the pod annotation over the config', () => {
    const annotated = pod();
    annotated.metadata!.annotations = { [TASK_ROLE_ANNOTATION]: 'arn:aws:iam::123456789012:role/pod-role' };
    expect(
      buildTaskDefinition(annotated, { ...settings, taskRoleArn: 'arn:aws:iam::1:role/default' }).taskRoleArn,
    ).toBe('arn:aws:iam::123456789012:role/pod-role');
    expect(
      buildTaskDefinition(pod(), { ...settings, taskRoleArn: 'arn:aws:iam::1:role/default' }).taskRoleArn,
    ).toBe('arn:aws:iam::1:role/default');
  });

  it('omits the log configuration without a log group', () => {
    const { logGroup: _omitted, ...noLogs } = settings;
    expect(buildTaskDefinition(pod(), noLogs).containerDefinitions?.[0]?.logConfiguration).toBeUndefined();
  });

  it('asks for more ephemeral storage only beyond the free 20 GiB', () => {
    expect(buildTaskDefinition(pod(), settings).ephemeralStorage).toBeUndefined();
    const big = pod({}, { resources: { limits: { 'ephemeral-storage': '50Gi' } } });
    expect(buildTaskDefinition(big, settings).ephemeralStorage).toEqual({ sizeInGiB: 50 });
  });

  it('shortens very long families with a hash, keeping distinct pods distinct', () => {
    const long = 'n'.repeat(250);
    const a = taskFamily('ns', `${long}-a`);
    const b = taskFamily('ns', `${long}-b`);
    expect(a.length).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('buildTaskDefinition refuses what Fargate cannot run, naming the field', () => {
  it.each<[string, V1Pod, RegExp]>([
    ['hostNetwork', pod({ hostNetwork: true }), /^spec\.hostNetwork: /],
    ['hostPID', pod({ hostPID: true }), /^spec\.hostPID: /],
    ['hostIPC', pod({ hostIPC: true }), /^spec\.hostIPC: /],
    [
      'sysctls',
      pod({ securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } }),
      /^spec\.securityContext\.sysctls: /,
    ],
    ['a Windows pod', pod({ os: { name: 'windows' } }), /^spec\.os\.name: /],
    [
      'privileged',
      pod({}, { securityContext: { privileged: true } }),
      /^spec\.containers\[0\]\.securityContext\.privileged: /,
    ],
    [
      'capabilities beyond SYS_PTRACE',
      pod({}, { securityContext: { capabilities: { add: ['NET_ADMIN', 'SYS_PTRACE'] } } }),
      /^spec\.containers\[0\]\.securityContext\.capabilities\.add: .*NET_ADMIN/,
    ],
    [
      'hostPath volumes',
      pod({ volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }),
      /^spec\.volumes\[0\]\.hostPath: /,
    ],
    [
      'configMap volumes',
      pod({ volumes: [{ name: 'c', configMap: { name: 'cm' } }] }),
      /^spec\.volumes\[0\]\.configMap: /,
    ],
    [
      'memory emptyDir',
      pod({ volumes: [{ name: 'm', emptyDir: { medium: 'Memory' } }] }),
      /^spec\.volumes\[0\]\.emptyDir\.medium: /,
    ],
    [
      'hostPort',
      pod({}, { ports: [{ containerPort: 80, hostPort: 8080 }] }),
      /^spec\.containers\[0\]\.ports\[0\]\.hostPort: /,
    ],
    [
      'SCTP ports',
      pod({}, { ports: [{ containerPort: 80, protocol: 'SCTP' }] }),
      /^spec\.containers\[0\]\.ports\[0\]\.protocol: /,
    ],
    [
      'GPUs',
      pod({}, { resources: { limits: { 'nvidia.com/gpu': '1' } } }),
      /^spec\.containers\[0\]\.resources\.limits\.nvidia\.com\/gpu: /,
    ],
    [
      'more CPU than the largest task',
      pod({}, { resources: { limits: { cpu: '17' } } }),
      /^spec\.containers\[\*\]\.resources: .*17408 CPU units/,
    ],
    [
      'more memory than the largest task',
      pod({}, { resources: { requests: { memory: '121Gi' } } }),
      /^spec\.containers\[\*\]\.resources: /,
    ],
    [
      'more ephemeral storage than 200 GiB',
      pod({}, { resources: { requests: { 'ephemeral-storage': '201Gi' } } }),
      /^spec\.containers\[\*\]\.resources\.ephemeral-storage: /,
    ],
    [
      'sub-path mounts',
      pod(
        { volumes: [{ name: 'e', emptyDir: {} }] },
        { volumeMounts: [{ name: 'e', mountPath: '/x', subPath: 'y' }] },
      ),
      /volumeMounts\[0\]\.subPath: /,
    ],
    [
      'an init container with a privileged context',
      pod({ initContainers: [{ name: 'init', image: 'i', securityContext: { privileged: true } }] }),
      /^spec\.initContainers\[0\]\.securityContext\.privileged: /,
    ],
    ['a container without an image', pod({}, { image: '' }), /^spec\.containers\[0\]\.image is required/],
  ])('%s', (_feature, input, message) => {
    expect(refusal(input)).toMatch(message);
  });

  it('refuses a pod without a UID (tasks are keyed by it)', () => {
    const noUid = pod();
    delete noUid.metadata!.uid;
    expect(refusal(noUid)).toMatch(/metadata\.uid/);
  });
});
