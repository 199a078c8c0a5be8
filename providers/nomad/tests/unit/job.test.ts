import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { jobId, MAX_JOB_ID, META, podFromMeta, identityFromMeta } from '../../src/mapping/identity.js';
import { buildJob, type JobSettings } from '../../src/mapping/job.js';
import { container, pod, settings } from './fixtures.js';

const noFiles = { volumeFiles: new Map() };
const build = (p = pod(), s: JobSettings = settings) => buildJob(p, s, noFiles);
const group = (p = pod(), s: JobSettings = settings) => build(p, s).TaskGroups[0]!;
const task = (p = pod(), s: JobSettings = settings, index = 0) => group(p, s).Tasks[index]!;

function refusal(p: ReturnType<typeof pod>, s: JobSettings = settings): string {
  try {
    build(p, s);
  } catch (error) {
    expect(isInvalidInput(error)).toBe(true);
    return errorMessage(error);
  }
  throw new Error('the pod was not refused');
}

const SECOND = 1_000_000_000;

describe('the job a pod becomes', () => {
  it('is named after the namespace and pod, carries the pod in Meta, in the configured placement', () => {
    const job = build(pod({}, { labels: { app: 'web' } }));
    expect(job).toMatchObject({
      ID: 'vk.default.web',
      Name: 'vk.default.web',
      Namespace: 'apps',
      Region: 'eu',
      Priority: 50,
      Datacenters: ['dc1', 'dc2'],
    });
    expect(job.Meta).toMatchObject({
      [META.uid]: 'uid-1',
      [META.namespace]: 'default',
      [META.name]: 'web',
      [META.node]: 'vk-nomad',
    });
    expect(job.TaskGroups).toHaveLength(1);
    expect(job.TaskGroups[0]).toMatchObject({ Name: 'pod', Count: 1 });
  });

  it('takes datacenters and node pool from the pod annotations', () => {
    const job = build(
      pod(
        {},
        {
          annotations: {
            'nomad.hashicorp.com/datacenters': 'east, west',
            'nomad.vkubelet.io/node-pool': 'gpu',
          },
        },
      ),
    );
    expect(job.Datacenters).toEqual(['east', 'west']);
    expect(job.NodePool).toBe('gpu');
  });

  it('shortens long IDs with a stable hash, so no two pods share one', () => {
    const long = 'x'.repeat(200);
    const a = jobId('vk', 'default', long);
    expect(a).toHaveLength(MAX_JOB_ID);
    expect(a).toBe(jobId('vk', 'default', long));
    expect(a).not.toBe(jobId('vk', 'default', `${long}y`));
    // Namespaces have no dots, so the split of namespace and name is never ambiguous.
    expect(jobId('vk', 'a-b', 'c')).not.toBe(jobId('vk', 'a', 'b-c'));
  });

  it('keeps enough in Meta to rebuild the pod for adoption', () => {
    const original = pod({
      restartPolicy: 'OnFailure',
      initContainers: [container('setup'), container('proxy', { restartPolicy: 'Always' })],
      containers: [container('app', { image: 'nginx:1' })],
    });
    const meta = build(original).Meta;
    const identity = identityFromMeta(meta)!;
    expect(identity).toEqual({ namespace: 'default', name: 'web', uid: 'uid-1' });
    expect(podFromMeta(identity, meta, 'vk-nomad').spec).toEqual({
      nodeName: 'vk-nomad',
      restartPolicy: 'OnFailure',
      containers: [{ name: 'app', image: 'nginx:1' }],
      initContainers: [
        { name: 'setup', image: 'busybox:1.36' },
        { name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always' },
      ],
    });
  });
});

describe('restart policy → job type, restart and reschedule policies', () => {
  it.each([
    ['Always', 'service', { Attempts: 5, Mode: 'delay' }, undefined],
    ['OnFailure', 'batch', { Attempts: 5, Mode: 'delay' }, undefined],
    ['Never', 'batch', { Attempts: 0, Mode: 'fail' }, { Attempts: 0, Unlimited: false }],
  ])('%s: %s job, restarts %o, reschedule %o', (policy, type, restart, reschedule) => {
    const job = build(pod({ restartPolicy: policy }));
    expect(job.Type).toBe(type);
    const g = job.TaskGroups[0]!;
    expect(g.RestartPolicy).toMatchObject({ ...restart, Interval: 300 * SECOND, Delay: 10 * SECOND });
    if (reschedule) expect(g.ReschedulePolicy).toMatchObject(reschedule);
    else expect(g.ReschedulePolicy).toBeUndefined();
  });

  it('maps the grace period to each task kill timeout', () => {
    expect(task(pod({ terminationGracePeriodSeconds: 7 })).KillTimeout).toBe(7 * SECOND);
    expect(task().KillTimeout).toBe(30 * SECOND);
  });
});

describe('containers → tasks', () => {
  it('runs init containers as prestart tasks in order, sidecars as prestart sidecars, then the app', () => {
    const tasks = group(
      pod({
        initContainers: [container('one'), container('two'), container('proxy', { restartPolicy: 'Always' })],
        containers: [container('app'), container('log')],
      }),
    ).Tasks;
    expect(tasks.map(t => [t.Name, t.Lifecycle])).toEqual([
      ['one', { Hook: 'prestart', Sidecar: false }],
      ['two', { Hook: 'prestart', Sidecar: false }],
      ['proxy', { Hook: 'prestart', Sidecar: true }],
      ['app', undefined],
      ['log', undefined],
    ]);
  });

  it('docker: command is the entrypoint, args the arguments, env and workdir carried', () => {
    const t = task(
      pod({
        containers: [
          container('app', {
            command: ['/bin/server'],
            args: ['--port', '80'],
            workingDir: '/srv',
            env: [{ name: 'A', value: '1' }, { name: 'EMPTY' }],
            imagePullPolicy: 'Always',
          }),
        ],
      }),
    );
    expect(t.Driver).toBe('docker');
    expect(t.Config).toMatchObject({
      image: 'busybox:1.36',
      entrypoint: ['/bin/server'],
      args: ['--port', '80'],
      work_dir: '/srv',
      force_pull: true,
      labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.container.name': 'app' },
    });
    expect(t.Env).toEqual({ A: '1', EMPTY: '' });
  });

  it('docker: only args keep the image entrypoint', () => {
    const config = task(
      pod({ containers: [{ name: 'app', image: 'nginx', args: ['-g', 'daemon off;'] }] }),
    ).Config;
    expect(config['entrypoint']).toBeUndefined();
    expect(config['args']).toEqual(['-g', 'daemon off;']);
  });

  it('raw_exec and exec run the command line, chosen by config or annotation', () => {
    const line = container('app', { command: ['/usr/bin/env'], args: ['-0'] });
    expect(task(pod({ containers: [line] }), { ...settings, driver: 'raw_exec' })).toMatchObject({
      Driver: 'raw_exec',
      Config: { command: '/usr/bin/env', args: ['-0'] },
    });
    const annotated = pod(
      { containers: [line, container('side')] },
      { annotations: { 'nomad.vkubelet.io/driver.app': 'exec' } },
    );
    expect(group(annotated).Tasks.map(t => t.Driver)).toEqual(['exec', 'docker']);
    expect(refusal(pod({}, { annotations: { 'nomad.vkubelet.io/driver': 'java' } }))).toContain(
      'metadata.annotations[nomad.vkubelet.io/driver]',
    );
    expect(
      refusal(pod({ containers: [{ name: 'app', image: 'x' }] }), { ...settings, driver: 'raw_exec' }),
    ).toContain('spec.containers[0].command');
  });

  it('sets the user from runAsUser and runAsGroup, the container over the pod', () => {
    expect(task(pod({ securityContext: { runAsUser: 1000, runAsGroup: 10 } })).User).toBe('1000:10');
    expect(
      task(
        pod({
          securityContext: { runAsUser: 1000 },
          containers: [container('app', { securityContext: { runAsUser: 5 } })],
        }),
      ).User,
    ).toBe('5');
  });
});

describe('resources in Nomad units', () => {
  const sized = (resources: object, s: JobSettings = settings) =>
    task(pod({ containers: [container('app', { resources })] }), s).Resources;

  it('CPU in MHz from the request at the configured MHz per core (not cores read as MHz)', () => {
    expect(sized({ requests: { cpu: '250m' } })).toEqual({ CPU: 500 });
    expect(sized({ limits: { cpu: '2' } })).toEqual({ CPU: 4000 });
    expect(sized({ requests: { cpu: '1m' } })).toEqual({ CPU: 2 });
  });

  it('whole exclusive cores when configured and request = limit is whole', () => {
    const cores = { ...settings, exclusiveCores: true };
    expect(sized({ requests: { cpu: '2' }, limits: { cpu: '2' } }, cores)).toEqual({ Cores: 2 });
    expect(sized({ requests: { cpu: '1500m' }, limits: { cpu: '1500m' } }, cores)).toEqual({ CPU: 3000 });
  });

  it('memory in MiB (not bytes as MB), a higher limit as memory_max, at least 10', () => {
    expect(sized({ requests: { memory: '256Mi' } })).toEqual({ MemoryMB: 256 });
    expect(sized({ requests: { memory: '256Mi' }, limits: { memory: '1Gi' } })).toEqual({
      MemoryMB: 256,
      MemoryMaxMB: 1024,
    });
    expect(sized({ limits: { memory: '512M' } })).toEqual({ MemoryMB: 489 });
    expect(sized({ requests: { memory: '1Mi' } })).toEqual({ MemoryMB: 10 });
  });

  it('no requests or limits leave Nomad its defaults', () => {
    expect(sized({})).toBeUndefined();
  });

  it('GPUs as devices; ephemeral storage as the group disk; anything else refused', () => {
    expect(sized({ limits: { 'nvidia.com/gpu': '2' } })).toEqual({
      Devices: [{ Name: 'nvidia/gpu', Count: 2 }],
    });
    const g = group(
      pod({
        initContainers: [container('init', { resources: { requests: { 'ephemeral-storage': '100Mi' } } })],
        containers: [container('app', { resources: { limits: { 'ephemeral-storage': '1Gi' } } })],
      }),
    );
    expect(g.EphemeralDisk).toEqual({ SizeMB: 1124 });
    expect(
      refusal(pod({ containers: [container('app', { resources: { limits: { 'hugepages-2Mi': '1Gi' } } })] })),
    ).toContain('spec.containers[0].resources.limits.hugepages-2Mi');
    expect(
      refusal(pod({ containers: [container('app', { resources: { requests: { cpu: 'lots' } } })] })),
    ).toContain('spec.containers[0].resources.requests.cpu: invalid quantity');
  });
});

describe('network and ports', () => {
  const ports = pod({
    containers: [
      container('web', {
        ports: [
          { name: 'http', containerPort: 8080 },
          { containerPort: 9090, hostPort: 9090 },
        ],
      }),
    ],
  });

  it('bridge: a network for every pod, ports mapped by the group, the pod hostname on the network', () => {
    const g = group(pod());
    expect(g.Networks).toEqual([{ Mode: 'bridge', Hostname: 'web' }]);
    const mapped = group(ports);
    expect(mapped.Networks).toEqual([
      {
        Mode: 'bridge',
        Hostname: 'web',
        DynamicPorts: [{ Label: 'web_http', To: 8080 }],
        ReservedPorts: [{ Label: 'web_9090', Value: 9090, To: 9090 }],
      },
    ]);
    expect(mapped.Tasks[0]!.Config['ports']).toBeUndefined();
  });

  it('host: a network only for ports, which docker maps by label; the hostname on the container', () => {
    const host = { ...settings, networkMode: 'host' as const };
    expect(group(pod(), host).Networks).toBeUndefined();
    const g = group(ports, host);
    expect(g.Networks?.[0]).toMatchObject({ Mode: 'host' });
    expect(g.Tasks[0]!.Config).toMatchObject({ ports: ['web_http', 'web_9090'], hostname: 'web' });
  });

  it('raw_exec: ports are static at the container port (no mapping without a namespace)', () => {
    const raw = { ...settings, driver: 'raw_exec' as const };
    expect(group(ports, raw).Networks?.[0]?.ReservedPorts).toEqual([
      { Label: 'web_http', Value: 8080, To: 8080 },
      { Label: 'web_9090', Value: 9090, To: 9090 },
    ]);
    const remapped = pod({
      containers: [container('web', { ports: [{ containerPort: 80, hostPort: 8080 }] })],
    });
    expect(refusal(remapped, raw)).toContain('spec.containers[0].ports[0].hostPort');
  });

  it('refuses SCTP and host IPs', () => {
    expect(
      refusal(pod({ containers: [container('a', { ports: [{ containerPort: 1, protocol: 'SCTP' }] })] })),
    ).toContain('spec.containers[0].ports[0].protocol');
    expect(
      refusal(pod({ containers: [container('a', { ports: [{ containerPort: 1, hostIP: '1.2.3.4' }] })] })),
    ).toContain('spec.containers[0].ports[0].hostIP');
  });

  it('DNS config and host aliases', () => {
    const dns = pod({
      dnsConfig: {
        nameservers: ['1.1.1.1'],
        searches: ['svc.local'],
        options: [{ name: 'ndots', value: '2' }],
      },
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['db', 'db.local'] }],
    });
    const g = group(dns);
    expect(g.Networks?.[0]?.DNS).toEqual({
      Servers: ['1.1.1.1'],
      Searches: ['svc.local'],
      Options: ['ndots:2'],
    });
    expect(g.Tasks[0]!.Config['extra_hosts']).toEqual(['db:10.0.0.1', 'db.local:10.0.0.1']);
    const host = group(dns, { ...settings, networkMode: 'host' });
    expect(host.Tasks[0]!.Config).toMatchObject({ dns_servers: ['1.1.1.1'], dns_options: ['ndots:2'] });
  });
});

describe('what Nomad cannot carry is refused with the field named', () => {
  it.each([
    [{ hostNetwork: true }, 'spec.hostNetwork'],
    [{ hostPID: true }, 'spec.hostPID'],
    [{ hostIPC: true }, 'spec.hostIPC'],
    [{ shareProcessNamespace: true }, 'spec.shareProcessNamespace'],
    [{ runtimeClassName: 'gvisor' }, 'spec.runtimeClassName'],
    [{ os: { name: 'windows' } }, 'spec.os.name'],
    [{ securityContext: { sysctls: [{ name: 'a', value: 'b' }] } }, 'spec.securityContext.sysctls'],
    [{ securityContext: { fsGroup: 2000 } }, 'spec.securityContext.fsGroup'],
    [{ restartPolicy: 'Sometimes' }, 'spec.restartPolicy'],
    [{ volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }, 'spec.volumes[0].hostPath'],
    [
      { volumes: [{ name: 'c', persistentVolumeClaim: { claimName: 'x' } }] },
      'spec.volumes[0].persistentVolumeClaim',
    ],
    [{ volumes: [{ name: 'm', emptyDir: { medium: 'Memory' } }] }, 'spec.volumes[0].emptyDir.medium'],
    [
      { containers: [container('a', { securityContext: { runAsNonRoot: true } })] },
      'spec.containers[0].securityContext.runAsNonRoot',
    ],
    [{ containers: [{ name: 'a' }] }, 'spec.containers[0].image'],
  ])('%o → %s', (spec, field) => {
    expect(refusal(pod(spec as never))).toContain(`${field}:`);
  });
});
