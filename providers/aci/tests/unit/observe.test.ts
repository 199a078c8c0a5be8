import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { V1Pod } from '@kubernetes/client-node';
import { buildPodStatus, type TrackedPod } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { eventCounts, newEvents } from '../../src/status/events.js';
import type { GroupState } from '../../src/status/group-state.js';
import { containerId, observeGroup } from '../../src/status/observe.js';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const pod: V1Pod = {
  metadata: { namespace: 'ns', name: 'p', uid: 'u' },
  spec: {
    restartPolicy: 'Always',
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [{ name: 'app', image: 'nginx' }],
  },
};

function record(
  group: Partial<ContainerGroup>,
  extra: Partial<TrackedPod<GroupState>> = {},
): TrackedPod<GroupState> {
  return {
    uid: 'u',
    namespace: 'ns',
    name: 'p',
    pod,
    status: {},
    deleting: false,
    gone: false,
    state: {
      name: 'g',
      firstSeen: t(0),
      eventsSeen: new Map(),
      group: {
        id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerInstance/containerGroups/g',
        osType: 'Linux',
        containers: [],
        ...group,
      },
    },
    ...extra,
  };
}

const status = (r: TrackedPod<GroupState>) => buildPodStatus(pod, observeGroup(r), { now: t(100) });

describe('observeGroup', () => {
  it('is Pending with containers being created while ACI provisions', () => {
    const s = status(
      record({
        provisioningState: 'Creating',
        containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
      }),
    );
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
  });

  it('maps a running group: IP, states, restarts, previous state, container IDs', () => {
    const r = record({
      provisioningState: 'Succeeded',
      ipAddress: { type: 'Private', ports: [], ip: '10.240.0.7' },
      instanceView: { state: 'Running' },
      initContainers: [
        {
          name: 'init',
          instanceView: {
            restartCount: 0,
            currentState: {
              state: 'Terminated',
              exitCode: 0,
              startTime: t(1),
              finishTime: t(2),
              detailStatus: 'Completed',
            },
          },
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'nginx',
          resources: { requests: { cpu: 1, memoryInGB: 1 } },
          instanceView: {
            restartCount: 2,
            currentState: { state: 'Running', startTime: t(10) },
            previousState: {
              state: 'Terminated',
              exitCode: 137,
              startTime: t(5),
              finishTime: t(9),
              detailStatus: 'OOMKilled',
            },
          },
        },
      ],
    });
    const s = status(r);
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.240.0.7');
    expect(s.startTime).toEqual(t(1));
    const app = s.containerStatuses![0]!;
    expect(app.state?.running?.startedAt).toEqual(t(10));
    expect(app.restartCount).toBe(2);
    expect(app.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(app.containerID).toBe(containerId(r.state.group, 'app'));
    expect(app.containerID).toMatch(/^aci:\/\/[0-9a-f]{64}$/);
    expect(s.initContainerStatuses![0]!.state?.terminated?.reason).toBe('Completed');
  });

  it('fails the pod when ACI gives up on the deployment, with the last warning', () => {
    const s = status(
      record({
        provisioningState: 'Failed',
        containers: [
          {
            name: 'app',
            image: 'nginx',
            resources: { requests: { cpu: 1, memoryInGB: 1 } },
            instanceView: {
              restartCount: 0,
              currentState: { state: 'Waiting', detailStatus: 'ErrImagePull' },
              events: [
                {
                  name: 'Failed',
                  message: 'Failed to pull image "nginx"',
                  type: 'Warning',
                  count: 1,
                  lastTimestamp: t(3),
                },
              ],
            },
          },
        ],
      }),
    );
    expect(s.phase).toBe('Failed');
    expect(s.reason).toBe('ProvisioningFailed');
    expect(s.message).toContain('Failed to pull image "nginx"');
    expect(s.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
  });

  it('ends the pod when the group was stopped in ACI', () => {
    const s = status(
      record({
        provisioningState: 'Succeeded',
        instanceView: { state: 'Stopped' },
        containers: [
          {
            name: 'app',
            image: 'nginx',
            resources: { requests: { cpu: 1, memoryInGB: 1 } },
            instanceView: {
              restartCount: 0,
              currentState: {
                state: 'Terminated',
                exitCode: 137,
                startTime: t(1),
                finishTime: t(5),
                detailStatus: 'Killed',
              },
            },
          },
        ],
      }),
    );
    expect(s.phase).toBe('Failed');
    expect(s.reason).toBe('Stopped');
    expect(s.containerStatuses?.[0]?.state?.terminated?.message).toBe('Killed');
  });
});

describe('ACI events as Kubernetes events', () => {
  const group = (count: number): ContainerGroup => ({
    osType: 'Linux',
    instanceView: {
      events: [{ name: 'Started', message: 'group up', type: 'Normal', count: 1, lastTimestamp: t(1) }],
    },
    containers: [
      {
        name: 'app',
        image: 'x',
        resources: { requests: { cpu: 1, memoryInGB: 1 } },
        instanceView: {
          events: [
            { name: 'Pulling', message: 'pulling image "x"', type: 'Normal', count: 1, lastTimestamp: t(0) },
            {
              name: 'BackOff',
              message: 'Back-off restarting failed container',
              type: 'Warning',
              count,
              lastTimestamp: t(5),
            },
          ],
        },
      },
    ],
  });

  it('gives each new event once, oldest first, and a repeat again when its count goes up', () => {
    const first = newEvents(group(1), new Map());
    expect(first.map(e => e.reason)).toEqual(['Pulling', 'Started', 'BackOff']);
    expect(first[2]).toEqual({
      type: 'Warning',
      reason: 'BackOff',
      note: 'container app: Back-off restarting failed container',
    });
    expect(newEvents(group(1), eventCounts(group(1)))).toEqual([]);
    expect(newEvents(group(3), eventCounts(group(1))).map(e => e.reason)).toEqual(['BackOff', 'BackOff']);
  });
});
