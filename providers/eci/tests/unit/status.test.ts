import type { V1Pod } from '@kubernetes/client-node';
import { buildPodStatus } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import type { EciContainerGroup } from '../../src/client/wire.js';
import { newGroupEvents } from '../../src/status/events.js';
import { containerState, observeGroup } from '../../src/status/observe.js';

const pod: V1Pod = {
  metadata: { namespace: 'default', name: 'web', uid: 'u1' },
  spec: {
    restartPolicy: 'Always',
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [
      { name: 'app', image: 'nginx' },
      { name: 'side', image: 'busybox' },
    ],
  },
};

function status(group: EciContainerGroup) {
  return buildPodStatus(pod, observeGroup(pod, { group, described: true }), { hostIP: '10.0.0.1' });
}

describe('containerState', () => {
  it.each([
    [
      { State: 'Running', StartTime: '2026-01-02T03:04:05Z' },
      { running: { startedAt: new Date('2026-01-02T03:04:05Z') } },
    ],
    [
      {
        State: 'Terminated',
        ExitCode: 3,
        Reason: 'Error',
        StartTime: '2026-01-02T03:04:05Z',
        FinishTime: '2026-01-02T03:05:00Z',
      },
      {
        terminated: {
          exitCode: 3,
          reason: 'Error',
          startedAt: new Date('2026-01-02T03:04:05Z'),
          finishedAt: new Date('2026-01-02T03:05:00Z'),
        },
      },
    ],
    // Older answers: Succeeded and Failed are ends, not "running" as the Go provider had them.
    [{ State: 'Succeeded' }, { terminated: { exitCode: 0 } }],
    [
      { State: 'Failed', DetailStatus: 'OOMKilled', ExitCode: 137 },
      { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    ],
    [
      { State: 'Waiting', Reason: 'CrashLoopBackOff', Message: 'back-off' },
      { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
    ],
    [{ State: 'Running', StartTime: 'not a time' }, { running: {} }],
    [undefined, undefined],
  ])('%j', (input, expected) => {
    expect(containerState(input)).toEqual(expected);
  });
});

describe('observeGroup + buildPodStatus', () => {
  it('a running group: phase, IntranetIp as pod IP, restarts and the previous run, readiness', () => {
    const result = status({
      ContainerGroupId: 'eci-1',
      Status: 'Running',
      IntranetIp: '192.168.3.4',
      CreationTime: '2026-01-02T03:04:00Z',
      InitContainers: [
        { Name: 'init', CurrentState: { State: 'Terminated', ExitCode: 0, Reason: 'Completed' } },
      ],
      Containers: [
        {
          Name: 'app',
          Image: 'nginx',
          Ready: true,
          RestartCount: 2,
          CurrentState: { State: 'Running', StartTime: '2026-01-02T03:04:10Z' },
          PreviousState: { State: 'Terminated', ExitCode: 1, Reason: 'Error' },
        },
        { Name: 'side', Ready: false, CurrentState: { State: 'Running', StartTime: '2026-01-02T03:04:10Z' } },
      ],
    });
    expect(result.phase).toBe('Running');
    expect(result.podIP).toBe('192.168.3.4');
    expect(result.hostIP).toBe('10.0.0.1');
    expect(result.startTime).toEqual(new Date('2026-01-02T03:04:00Z'));
    const [app, side] = result.containerStatuses!;
    expect(app).toMatchObject({
      name: 'app',
      ready: true,
      restartCount: 2,
      containerID: 'eci://eci-1/app',
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(side?.ready).toBe(false);
    expect(result.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(result.conditions?.find(c => c.type === 'Ready')?.status).toBe('False');
  });

  it('a group still scheduling: Pending, containers creating', () => {
    const result = status({ ContainerGroupId: 'eci-1', Status: 'Scheduling' });
    expect(result.phase).toBe('Pending');
    expect(result.initContainerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
  });

  it('an ended group: Failed with the exit codes, even under restartPolicy Always', () => {
    const result = status({
      ContainerGroupId: 'eci-1',
      Status: 'Failed',
      InitContainers: [{ Name: 'init', CurrentState: { State: 'Terminated', ExitCode: 0 } }],
      Containers: [
        { Name: 'app', CurrentState: { State: 'Terminated', ExitCode: 2 } },
        { Name: 'side', CurrentState: { State: 'Terminated', ExitCode: 0 } },
      ],
    });
    expect(result.phase).toBe('Failed');
    expect(result.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
  });

  it('a group ECI could not place fails the pod with the scheduling event as its message', () => {
    const result = status({
      ContainerGroupId: 'eci-1',
      Status: 'ScheduleFailed',
      Events: [
        { Type: 'Normal', Reason: 'Scheduled', Message: 'ok' },
        { Type: 'Warning', Reason: 'FailedScheduling', Message: 'no GPU stock in zone h' },
      ],
    });
    expect(result).toMatchObject({
      phase: 'Failed',
      reason: 'ScheduleFailed',
      message: 'no GPU stock in zone h',
    });
  });
});

describe('newGroupEvents', () => {
  const pulled = {
    Type: 'Normal',
    Reason: 'Pulled',
    Message: 'pulled nginx',
    FirstTimestamp: 't1',
    Count: 1,
  };
  const backOff = {
    Type: 'Warning',
    Name: 'BackOff',
    Message: 'back-off app',
    FirstTimestamp: 't2',
    Count: 1,
  };

  it('reports every event of a group seen the first time, oldest first', () => {
    expect(newGroupEvents(undefined, [pulled, backOff])).toEqual([
      { type: 'Normal', reason: 'Pulled', note: 'pulled nginx' },
      // No Reason in the answer: Name is the reason.
      { type: 'Warning', reason: 'BackOff', note: 'back-off app' },
    ]);
  });

  it('reports only what is new since the last description: new entries and repeats', () => {
    expect(newGroupEvents([pulled, backOff], [pulled, backOff])).toEqual([]);
    const again = newGroupEvents([pulled, backOff], [pulled, { ...backOff, Count: 3 }]);
    expect(again).toEqual([
      { type: 'Warning', reason: 'BackOff', note: 'back-off app' },
      { type: 'Warning', reason: 'BackOff', note: 'back-off app' },
    ]);
    expect(newGroupEvents([], [{ ...backOff, Count: 40 }])).toHaveLength(5);
  });
});
