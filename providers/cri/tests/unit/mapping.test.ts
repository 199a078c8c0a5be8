import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { buildPodStatus } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { linuxResources } from '../../src/pod/container-config.js';
import { nextBackoff } from '../../src/pod/backoff.js';
import { newContainerRecord, type CriPod, type SandboxRecord } from '../../src/pod/record.js';
import { sandboxConfig } from '../../src/pod/sandbox-config.js';
import { observePod } from '../../src/pod/status.js';

const ctx = {
  nodeName: 'n1',
  cgroupParent: '/vk',
  logDirectory: '/pods/u/logs',
  clusterDomain: 'cluster.local',
  clusterDNS: ['10.96.0.10'],
};
const basePod = (spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { namespace: 'ns', name: 'p', uid: 'u', labels: { app: 'x' } },
  spec: { containers: [{ name: 'c', image: 'img', ports: [{ containerPort: 80 }] }], ...spec },
});

describe('pod → CRI sandbox config', () => {
  it('labels the sandbox with node and pod identity, maps ports and cluster DNS', () => {
    const config = sandboxConfig(basePod(), ctx);
    expect(config.labels).toMatchObject({ app: 'x', 'vkubelet.io/node': 'n1', 'io.kubernetes.pod.uid': 'u' });
    expect(config.port_mappings).toEqual([
      { protocol: 'TCP', container_port: 80, host_port: 0, host_ip: '' },
    ]);
    expect(config.dns_config).toEqual({
      servers: ['10.96.0.10'],
      searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: ['ndots:5'],
    });
    expect(config.linux.security_context.namespace_options.network).toBe('POD');
    expect(config.hostname).toBe('p');
  });

  it('host network: NODE namespace and no hostname (runc refuses one without a UTS namespace)', () => {
    const config = sandboxConfig(basePod({ hostNetwork: true }), ctx);
    expect(config.linux.security_context.namespace_options.network).toBe('NODE');
    expect(config.hostname).toBe('');
    expect(config.dns_config).toBeUndefined();
  });
});

describe('container resources', () => {
  it('maps CPU request to shares, CPU limit to quota/period and memory limit to bytes', () => {
    expect(
      linuxResources({
        name: 'c',
        resources: { requests: { cpu: '250m' }, limits: { cpu: '1500m', memory: '128Mi' } },
      }),
    ).toEqual({
      cpu_period: 100_000,
      cpu_quota: 150_000,
      cpu_shares: 256,
      memory_limit_in_bytes: 128 * 1024 * 1024,
    });
    expect(linuxResources({ name: 'c' })).toEqual({
      cpu_period: 0,
      cpu_quota: 0,
      cpu_shares: 2,
      memory_limit_in_bytes: 0,
    });
  });

  it('backs off 10 s doubling to 5 min', () => {
    const policy = { initialMs: 10_000, maxMs: 300_000 };
    const steps: number[] = [];
    let current = 0;
    for (let i = 0; i < 7; i++) steps.push((current = nextBackoff(current, policy)));
    expect(steps).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });
});

type MutablePod = Omit<CriPod, 'state' | 'deleting'> & { state: SandboxRecord; deleting: boolean };

function record(restartPolicy: 'Always' | 'OnFailure' | 'Never', exitCode?: number): MutablePod {
  const pod = basePod({ restartPolicy });
  const app = newContainerRecord('app', pod.spec!.containers[0]!);
  app.id = 'abc';
  app.status = {
    id: 'abc',
    metadata: { name: 'c', attempt: 0 },
    state: exitCode === undefined ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED',
    created_at: '1',
    started_at: '1000000000',
    finished_at: exitCode === undefined ? '0' : '2000000000',
    exit_code: exitCode ?? 0,
    image: null,
    image_ref: 'sha256:1',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    log_path: '',
  };
  return {
    pod,
    namespace: 'ns',
    name: 'p',
    uid: 'u',
    status: {},
    gone: false,
    deleting: false,
    state: {
      podDir: '/x',
      sandboxConfig: sandboxConfig(pod, ctx),
      sandboxId: 's',
      sandboxReady: true,
      podIP: '10.0.0.2',
      createdAt: new Date(0),
      hostPaths: new Map(),
      init: [],
      app: [app],
    },
  };
}

/** The status the provider reports for a record (through the provider-kit status builder). */
const podStatus = (r: MutablePod): V1PodStatus => buildPodStatus(r.pod, observePod(r), { hostIP: '1.2.3.4' });

describe('pod status', () => {
  it.each([
    ['Always', undefined, 'Running'],
    ['Always', 0, 'Running'],
    ['Never', 0, 'Succeeded'],
    ['Never', 3, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
    ['OnFailure', 1, 'Running'],
  ] as const)('restartPolicy %s, exit %s → %s', (policy, exit, phase) => {
    expect(podStatus(record(policy, exit)).phase).toBe(phase);
  });

  it('reports a running container ready with its containerd ID and the sandbox IP', () => {
    const status = podStatus(record('Always'));
    expect(status.podIP).toBe('10.0.0.2');
    expect(status.containerStatuses?.[0]).toMatchObject({
      ready: true,
      containerID: 'containerd://abc',
      restartCount: 0,
      state: { running: { startedAt: new Date(1000) } },
    });
    expect(status.conditions?.find(c => c.type === 'Ready')?.status).toBe('True');
  });

  it('shows CrashLoopBackOff while waiting to restart an exited container', () => {
    const r = record('Always', 2);
    r.state.app[0]!.waiting = { reason: 'CrashLoopBackOff', message: 'back-off 10s' };
    const status = podStatus(r).containerStatuses?.[0];
    expect(status?.state?.waiting?.reason).toBe('CrashLoopBackOff');
  });

  it('never reports a finish before the start (containerd stamps them from different events)', () => {
    const r = record('Never', 0);
    r.state.app[0]!.status!.started_at = '2005000000';
    r.state.app[0]!.status!.finished_at = '2001000000';
    const terminated = podStatus(r).containerStatuses?.[0]?.state?.terminated;
    expect(terminated?.finishedAt?.getTime()).toBeGreaterThanOrEqual(
      terminated?.startedAt?.getTime() ?? Infinity,
    );
  });

  it('ends a deleted pod in a terminal phase', () => {
    const r = record('Always', 137);
    r.deleting = true;
    r.state.sandboxReady = false;
    expect(podStatus(r).phase).toBe('Failed');
  });
});
