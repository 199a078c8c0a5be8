import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { isPodRunning, podsEqualForProvider } from '../../../src/pod/compare.js';
import {
  configErrorStatus,
  lostPodStatus,
  providerFailedStatus,
  showsConfigError,
  statusPatch,
} from '../../../src/pod/status.js';

const base = (): V1Pod => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u',
    resourceVersion: '1',
    labels: { a: '1' },
    annotations: {},
  },
  spec: {
    nodeName: 'vk',
    containers: [
      {
        name: 'c',
        image: 'img:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
    ],
  },
  status: { phase: 'Pending' },
});

describe('podsEqualForProvider', () => {
  it('ignores status, resourceVersion, env order and fields providers do not act on', () => {
    const other = base();
    other.metadata!.resourceVersion = '2';
    other.status = { phase: 'Running' };
    other.spec!.containers[0]!.env!.reverse();
    other.spec!.nodeName = 'elsewhere';
    expect(podsEqualForProvider(base(), other)).toBe(true);
  });

  it.each<[string, (pod: V1Pod) => void]>([
    ['image', pod => (pod.spec!.containers[0]!.image = 'img:2')],
    ['env value', pod => (pod.spec!.containers[0]!.env![0]!.value = 'x')],
    ['labels', pod => (pod.metadata!.labels = { a: '2' })],
    ['annotations', pod => (pod.metadata!.annotations = { n: 'v' })],
    ['activeDeadlineSeconds', pod => (pod.spec!.activeDeadlineSeconds = 5)],
    ['tolerations', pod => (pod.spec!.tolerations = [{ operator: 'Exists' }])],
    ['ephemeral containers', pod => (pod.spec!.ephemeralContainers = [{ name: 'debug', image: 'busybox' }])],
    ['init containers', pod => (pod.spec!.initContainers = [{ name: 'init', image: 'busybox' }])],
    ['deletionTimestamp', pod => (pod.metadata!.deletionTimestamp = new Date())],
    ['deletionGracePeriodSeconds', pod => (pod.metadata!.deletionGracePeriodSeconds = 0)],
  ])('sees a change of %s', (_what, change) => {
    const other = base();
    change(other);
    expect(podsEqualForProvider(base(), other)).toBe(false);
  });

  it('treats a Date and its API string form alike', () => {
    const a = base();
    const b = base();
    a.metadata!.deletionTimestamp = new Date('2026-01-01T00:00:00.123Z');
    (b.metadata as Record<string, unknown>).deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(podsEqualForProvider(a, b)).toBe(true);
  });
});

describe('isPodRunning', () => {
  it('is true only when some container is neither waiting nor terminated', () => {
    expect(isPodRunning(undefined)).toBe(false);
    expect(isPodRunning({ containerStatuses: [] })).toBe(false);
    const status = (state: object) => ({
      containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state }],
    });
    expect(isPodRunning(status({ waiting: {} }))).toBe(false);
    expect(isPodRunning(status({ terminated: { exitCode: 0 } }))).toBe(false);
    expect(isPodRunning(status({ running: {} }))).toBe(true);
  });
});

describe('status computation', () => {
  it('providerFailedStatus: Pending while retried, Failed only for a permanent error, whatever the restart policy', () => {
    expect(providerFailedStatus('boom', false)).toEqual({
      phase: 'Pending',
      reason: 'ProviderFailed',
      message: 'boom',
    });
    expect(providerFailedStatus('bad', true).phase).toBe('Failed');
  });

  it('statusPatch is undefined when nothing the provider reports changed', () => {
    const current = {
      phase: 'Running',
      podIP: '10.0.0.1',
      startTime: '2026-01-01T00:00:00Z' as unknown as Date,
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Custom', status: 'True' },
      ],
    };
    const desired = {
      phase: 'Running',
      podIP: '10.0.0.1',
      startTime: new Date('2026-01-01T00:00:00.456Z'),
      conditions: [{ type: 'Ready', status: 'True' }],
    };
    expect(statusPatch(current, desired)).toBeUndefined();
  });

  it('statusPatch is undefined for a status read back with the fields the API server fills in', () => {
    const desired = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-01-01T00:00:00.5Z') }],
      containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 0 }],
    };
    const stored = {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
      containerStatuses: [
        { name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 0, lastState: {} },
      ],
    } as unknown as V1PodStatus;
    expect(statusPatch(stored, desired)).toBeUndefined();
  });

  it('statusPatch removes the reason and message a condition no longer has', () => {
    const current = {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ContainersNotReady',
          message: 'containers with unready status: [app]',
        },
        { type: 'PodScheduled', status: 'True' },
      ],
    };
    const patch = statusPatch(current, {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
    });
    expect(patch?.conditions).toEqual([
      { type: 'Ready', status: 'True', reason: null, message: null },
      { type: 'PodScheduled', status: 'True' },
    ]);
    // Once stored that way, the same report is no change.
    expect(
      statusPatch(
        { conditions: [{ type: 'Ready', status: 'True' }] },
        { conditions: [{ type: 'Ready', status: 'True' }] },
      ),
    ).toBeUndefined();
  });

  it('statusPatch sends changed fields, replaces IP lists and clears a stale reason', () => {
    const patch = statusPatch(
      { phase: 'Pending', reason: 'ProviderFailed', message: 'boom', podIPs: [{ ip: '1.1.1.1' }] },
      { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }] },
    );
    expect(patch).toEqual({
      phase: 'Running',
      reason: null,
      message: null,
      podIPs: [{ $patch: 'replace' }, { ip: '10.0.0.1' }],
    });
  });

  it('lostPodStatus terminates running containers with exit code -137 like upstream', () => {
    const pod = base();
    pod.status = {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'c',
          image: '',
          imageID: '',
          ready: true,
          restartCount: 0,
          containerID: 'x://1',
          state: { running: { startedAt: new Date(0) } },
        },
      ],
    };
    const status = lostPodStatus(pod, new Date(1000));
    expect(status).toMatchObject({ phase: 'Failed', reason: 'NotFound' });
    expect(status.containerStatuses![0]!.state!.terminated).toMatchObject({
      exitCode: -137,
      reason: 'NotFound',
      containerID: 'x://1',
    });
  });

  it('configErrorStatus shows every container waiting with CreateContainerConfigError', () => {
    const pod = base();
    pod.spec!.initContainers = [{ name: 'init', image: 'busybox' }];
    const status = configErrorStatus(pod, 'configmap "x" not found');
    expect(status.phase).toBe('Pending');
    expect(
      status.containerStatuses?.map(c => [c.name, c.state?.waiting?.reason, c.state?.waiting?.message]),
    ).toEqual([['c', 'CreateContainerConfigError', 'configmap "x" not found']]);
    expect(status.initContainerStatuses?.[0]?.name).toBe('init');
    expect(showsConfigError(status)).toBe(true);
    expect(
      showsConfigError({ containerStatuses: [{ ...status.containerStatuses![0]!, state: { running: {} } }] }),
    ).toBe(false);
  });
});
