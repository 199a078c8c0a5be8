import type { Task } from '@aws-sdk/client-ecs';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { podStatusFromTask } from '../../src/status.js';

const pod: V1Pod = {
  metadata: { namespace: 'ns', name: 'p', uid: 'u' },
  spec: {
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [
      { name: 'app', image: 'nginx' },
      { name: 'side', image: 'envoy' },
    ],
  },
};
const created = new Date('2026-11-22T03:00:00Z');
const started = new Date('2026-11-22T03:00:30Z');
const eni = {
  type: 'ElasticNetworkInterface',
  details: [
    { name: 'subnetId', value: 'subnet-1' },
    { name: 'privateIPv4Address', value: '10.0.1.23' },
  ],
};

function task(lastStatus: string, containers: Task['containers'], extra: Partial<Task> = {}): Task {
  return {
    lastStatus,
    desiredStatus: 'RUNNING',
    createdAt: created,
    containers,
    attachments: [eni],
    ...extra,
  };
}

const conditions = (status: ReturnType<typeof podStatusFromTask>) =>
  Object.fromEntries((status.conditions ?? []).map(c => [c.type, c.status]));

describe('podStatusFromTask', () => {
  it('reports a provisioning task as Pending with waiting containers', () => {
    const status = podStatusFromTask(pod, task('PROVISIONING', []));
    expect(status.phase).toBe('Pending');
    expect(status.podIP).toBe('10.0.1.23');
    // The kubelet's default for a pod with init containers (ContainerCreating without them).
    expect(status.containerStatuses?.map(c => c.state?.waiting?.reason)).toEqual([
      'PodInitializing',
      'PodInitializing',
    ]);
    expect(conditions(status)).toEqual({
      PodReadyToStartContainers: 'True',
      PodScheduled: 'True',
      Initialized: 'False',
      ContainersReady: 'False',
      Ready: 'False',
    });
  });

  it('reports a running task as Running and Ready with running containers', () => {
    const status = podStatusFromTask(
      pod,
      task(
        'RUNNING',
        [
          { name: 'init', lastStatus: 'STOPPED', exitCode: 0 },
          { name: 'app', lastStatus: 'RUNNING', runtimeId: 'abc', imageDigest: 'sha256:1' },
          { name: 'side', lastStatus: 'RUNNING' },
        ],
        { startedAt: started },
      ),
    );
    expect(status.phase).toBe('Running');
    expect(status.startTime).toEqual(created);
    expect(status.podIPs).toEqual([{ ip: '10.0.1.23' }]);
    expect(status.containerStatuses?.[0]).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      containerID: 'ecs://abc',
      imageID: 'sha256:1',
      state: { running: { startedAt: started } },
    });
    expect(status.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(conditions(status)).toEqual({
      PodReadyToStartContainers: 'True',
      PodScheduled: 'True',
      Initialized: 'True',
      ContainersReady: 'True',
      Ready: 'True',
    });
  });

  it('is not ready while a container is unhealthy or the task is stopping', () => {
    const unhealthy = podStatusFromTask(
      pod,
      task('RUNNING', [
        { name: 'app', lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' },
        { name: 'side', lastStatus: 'RUNNING' },
      ]),
    );
    expect(conditions(unhealthy)['Ready']).toBe('False');
    const stopping = podStatusFromTask(
      pod,
      task('DEACTIVATING', [
        { name: 'app', lastStatus: 'RUNNING' },
        { name: 'side', lastStatus: 'RUNNING' },
      ]),
    );
    expect(stopping.phase).toBe('Running');
    expect(conditions(stopping)['Ready']).toBe('False');
  });

  it('reports a stopped task as Succeeded only when every container exited 0', () => {
    const ok = podStatusFromTask(
      pod,
      task('STOPPED', [
        { name: 'app', exitCode: 0 },
        { name: 'side', exitCode: 0 },
      ]),
    );
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });

    const failed = podStatusFromTask(
      pod,
      task(
        'STOPPED',
        [
          { name: 'app', exitCode: 0 },
          { name: 'side', exitCode: 2, reason: 'OutOfMemoryError' },
        ],
        {
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
        },
      ),
    );
    expect(failed.phase).toBe('Failed');
    expect(failed.reason).toBe('EssentialContainerExited');
    expect(failed.message).toBe('Essential container in task exited');
    // ECS's OutOfMemoryError is the kubelet's OOMKilled; ECS's own words stay in the message.
    expect(failed.containerStatuses?.[1]?.state?.terminated).toMatchObject({
      exitCode: 2,
      reason: 'OOMKilled',
      message: 'OutOfMemoryError',
    });
  });

  it('treats a stopped task without exit codes (StopTask, failed pull) as killed, not succeeded', () => {
    const status = podStatusFromTask(pod, task('STOPPED', [], { stoppedReason: 'CannotPullContainerError' }));
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.every(c => c.state?.terminated?.exitCode === 137)).toBe(true);
  });
});

describe('podStatusFromTask with lagging container states', () => {
  it('reports app containers of a RUNNING task as running even before ECS updates them', () => {
    const status = podStatusFromTask(pod, task('RUNNING', [{ name: 'app', lastStatus: 'PENDING' }]));
    expect(status.containerStatuses?.map(c => Object.keys(c.state ?? {})[0])).toEqual(['running', 'running']);
    // An init container's own state is kept: it may not have run.
    expect(status.initContainerStatuses?.[0]?.state?.waiting).toBeDefined();
  });
});

describe('podStatusFromTask stability', () => {
  it('gives an identical status for an unchanged task that lacks timestamps, so nothing is re-notified', async () => {
    const bare: Task = { lastStatus: 'RUNNING', containers: [{ name: 'app', lastStatus: 'RUNNING' }] };
    const observed = { firstSeen: new Date('2026-11-22T03:00:00Z') };
    const first = podStatusFromTask(pod, bare, observed);
    await new Promise(resolve => setTimeout(resolve, 5));
    // Transition times come from the status reported before, as the provider runtime passes it.
    expect(JSON.stringify(podStatusFromTask(pod, bare, observed, first))).toBe(JSON.stringify(first));
    expect(first.startTime).toEqual(observed.firstSeen);
  });
});
