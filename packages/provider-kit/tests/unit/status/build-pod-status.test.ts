import type { V1Container, V1ContainerState, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { jsonEqual } from '../../../src/json-equal.js';
import {
  buildPodStatus,
  goneObservation,
  type ContainerObservation,
  type PodObservation,
} from '../../../src/status/index.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:01:00Z');
const NOW = new Date('2026-01-01T00:02:00Z');

function pod(spec: {
  containers?: string[];
  init?: string[];
  sidecars?: string[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
}): V1Pod {
  const container = (name: string, restartPolicy?: string): V1Container => ({
    name,
    image: `img/${name}`,
    ...(restartPolicy ? { restartPolicy } : {}),
  });
  return {
    metadata: { namespace: 'ns', name: 'p', uid: 'u' },
    spec: {
      restartPolicy: spec.restartPolicy ?? 'Always',
      containers: (spec.containers ?? ['app']).map(name => container(name)),
      ...(spec.init || spec.sidecars
        ? {
            initContainers: [
              ...(spec.sidecars ?? []).map(name => container(name, 'Always')),
              ...(spec.init ?? []).map(name => container(name)),
            ],
          }
        : {}),
    },
  };
}

const running = (startedAt = T0): V1ContainerState => ({ running: { startedAt } });
const exited = (exitCode: number, reason?: string): V1ContainerState => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), startedAt: T0, finishedAt: T1 },
});
const c = (name: string, state?: V1ContainerState, extra: Partial<ContainerObservation> = {}) => ({
  name,
  ...(state ? { state } : {}),
  ...extra,
});

function conditions(status: V1PodStatus): Record<string, string> {
  return Object.fromEntries(
    (status.conditions ?? []).map(x => [x.type, [x.status, x.reason, x.message].filter(Boolean).join(' ')]),
  );
}

const build = (p: V1Pod, observed: PodObservation, previous?: V1PodStatus) =>
  buildPodStatus(p, observed, { now: NOW, hostIP: '192.0.2.1', ...(previous ? { previous } : {}) });

describe('buildPodStatus: phase (the kubelet getPhase)', () => {
  const cases: Array<{
    what: string;
    pod: V1Pod;
    observed: PodObservation;
    phase: string;
  }> = [
    { what: 'nothing created yet', pod: pod({}), observed: {}, phase: 'Pending' },
    { what: 'app running', pod: pod({}), observed: { containers: [c('app', running())] }, phase: 'Running' },
    {
      what: 'one of two app containers still waiting',
      pod: pod({ containers: ['a', 'b'] }),
      observed: { containers: [c('a', running())] },
      phase: 'Pending',
    },
    {
      what: 'init container running',
      pod: pod({ init: ['init'] }),
      observed: { initContainers: [c('init', running())] },
      phase: 'Pending',
    },
    {
      what: 'init done, app running',
      pod: pod({ init: ['init'] }),
      observed: { initContainers: [c('init', exited(0))], containers: [c('app', running())] },
      phase: 'Running',
    },
    {
      what: 'init failed, restartPolicy Never',
      pod: pod({ init: ['init'], restartPolicy: 'Never' }),
      observed: { initContainers: [c('init', exited(1))] },
      phase: 'Failed',
    },
    {
      what: 'init failed and waits to be restarted, OnFailure',
      pod: pod({ init: ['init'], restartPolicy: 'OnFailure' }),
      observed: { initContainers: [c('init', { waiting: {} }, { lastState: exited(1), restartCount: 1 })] },
      phase: 'Pending',
    },
    {
      what: 'app exited 0, Never',
      pod: pod({ restartPolicy: 'Never' }),
      observed: { containers: [c('app', exited(0))] },
      phase: 'Succeeded',
    },
    {
      what: 'app exited 1, Never',
      pod: pod({ restartPolicy: 'Never' }),
      observed: { containers: [c('app', exited(1))] },
      phase: 'Failed',
    },
    {
      what: 'app exited 1, OnFailure (to be restarted)',
      pod: pod({ restartPolicy: 'OnFailure' }),
      observed: { containers: [c('app', exited(1))] },
      phase: 'Running',
    },
    {
      what: 'all apps exited 0, OnFailure',
      pod: pod({ containers: ['a', 'b'], restartPolicy: 'OnFailure' }),
      observed: { containers: [c('a', exited(0)), c('b', exited(0))] },
      phase: 'Succeeded',
    },
    {
      what: 'app exited 0, Always (to be restarted)',
      pod: pod({}),
      observed: { containers: [c('app', exited(0))] },
      phase: 'Running',
    },
    {
      what: 'app in crash back-off, Always',
      pod: pod({}),
      observed: { containers: [c('app', { waiting: {} }, { lastState: exited(2), restartCount: 3 })] },
      phase: 'Running',
    },
    {
      what: 'one app running, one exited, Never',
      pod: pod({ containers: ['a', 'b'], restartPolicy: 'Never' }),
      observed: { containers: [c('a', running()), c('b', exited(1))] },
      phase: 'Running',
    },
    {
      what: 'stopped for good with an exit code 0, restartPolicy Always',
      pod: pod({}),
      observed: { containers: [c('app', exited(0))], stopped: true },
      phase: 'Succeeded',
    },
    {
      what: 'stopped for good with a failure, restartPolicy Always',
      pod: pod({ containers: ['a', 'b'] }),
      observed: { containers: [c('a', exited(0)), c('b', exited(143))], stopped: true },
      phase: 'Failed',
    },
    {
      what: 'sidecar running, app running',
      pod: pod({ sidecars: ['proxy'] }),
      observed: {
        initContainers: [c('proxy', running())],
        containers: [c('app', running())],
      },
      phase: 'Running',
    },
    {
      what: 'sidecar not started yet',
      pod: pod({ sidecars: ['proxy'] }),
      observed: { initContainers: [c('proxy', running(), { started: false })] },
      phase: 'Pending',
    },
    {
      what: 'sidecar exited after the app succeeded, Never',
      pod: pod({ sidecars: ['proxy'], restartPolicy: 'Never' }),
      observed: { initContainers: [c('proxy', exited(143))], containers: [c('app', exited(0))] },
      phase: 'Succeeded',
    },
    {
      what: 'a pod-level verdict (activeDeadlineSeconds)',
      pod: pod({}),
      observed: { containers: [c('app', running())], phase: 'Failed', reason: 'DeadlineExceeded' },
      phase: 'Failed',
    },
  ];
  for (const { what, pod: p, observed, phase } of cases) {
    it(`${what}: ${phase}`, () => expect(build(p, observed).phase).toBe(phase));
  }

  it('never leaves a terminal phase, keeping its reason', () => {
    const p = pod({ restartPolicy: 'Never' });
    const done = build(p, { containers: [c('app', exited(0))], reason: 'Done' });
    expect(build(p, { containers: [c('app', running())] }, done)).toMatchObject({
      phase: 'Succeeded',
      reason: 'Done',
    });
  });
});

describe('buildPodStatus: container statuses', () => {
  it('defaults waiting to ContainerCreating, or PodInitializing when the pod has init containers', () => {
    expect(build(pod({}), {}).containerStatuses?.[0]?.state).toEqual({
      waiting: { reason: 'ContainerCreating' },
    });
    const withInit = build(pod({ init: ['init'] }), {});
    expect(withInit.initContainerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(withInit.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
  });

  it('names ended containers Completed or Error, and keeps a backend reason such as OOMKilled', () => {
    const status = build(pod({ containers: ['a', 'b', 'c'], restartPolicy: 'Never' }), {
      containers: [c('a', exited(0)), c('b', exited(2)), c('c', exited(137, 'OOMKilled'))],
    });
    expect(status.containerStatuses?.map(s => s.state?.terminated?.reason)).toEqual([
      'Completed',
      'Error',
      'OOMKilled',
    ]);
  });

  it('shows a container waiting after a run as CrashLoopBackOff, with its restart count and last state', () => {
    const status = build(pod({}), {
      containers: [c('app', { waiting: {} }, { lastState: exited(2), restartCount: 4 })],
    });
    expect(status.containerStatuses?.[0]).toMatchObject({
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 2, reason: 'Error' } },
      restartCount: 4,
      ready: false,
      started: false,
    });
  });

  it('reports readiness as the kubelet does: init containers once succeeded, apps while running and ready', () => {
    const status = build(pod({ init: ['init'], containers: ['a', 'b'] }), {
      initContainers: [c('init', exited(0))],
      containers: [c('a', running()), c('b', running(), { ready: false })],
    });
    expect(status.initContainerStatuses?.map(s => [s.ready, s.started])).toEqual([[true, false]]);
    expect(status.containerStatuses?.map(s => [s.name, s.ready, s.started])).toEqual([
      ['a', true, true],
      ['b', false, true],
    ]);
  });

  it('lists app containers by name and init containers in spec order, with images and IDs', () => {
    const status = build(pod({ init: ['z-init', 'a-init'], containers: ['web', 'cache'] }), {
      containers: [c('web', running(), { imageID: 'sha256:1', containerID: 'x://1', image: 'img/web:2' })],
    });
    expect(status.initContainerStatuses?.map(s => s.name)).toEqual(['z-init', 'a-init']);
    expect(status.containerStatuses?.map(s => s.name)).toEqual(['cache', 'web']);
    expect(status.containerStatuses?.[1]).toMatchObject({
      image: 'img/web:2',
      imageID: 'sha256:1',
      containerID: 'x://1',
      lastState: {},
    });
    expect(status.containerStatuses?.[0]).toMatchObject({ image: 'img/cache', imageID: '' });
    expect(status.containerStatuses?.[0]).not.toHaveProperty('containerID');
  });
});

describe('buildPodStatus: conditions (the kubelet status.Generate*Condition)', () => {
  it('pending pod without init containers', () => {
    expect(conditions(build(pod({ containers: ['a', 'b'] }), {}))).toEqual({
      PodReadyToStartContainers: 'False',
      Initialized: 'True',
      Ready: 'False ContainersNotReady containers with unready status: [a b]',
      ContainersReady: 'False ContainersNotReady containers with unready status: [a b]',
      PodScheduled: 'True',
    });
  });

  it('init containers still running', () => {
    expect(
      conditions(
        build(pod({ init: ['i1', 'i2'] }), { initContainers: [c('i1', exited(0)), c('i2', running())] }),
      ),
    ).toMatchObject({
      PodReadyToStartContainers: 'True',
      Initialized: 'False ContainersNotInitialized containers with incomplete status: [i2]',
    });
  });

  it('running and ready, in the kubelet order', () => {
    const status = build(pod({}), { containers: [c('app', running())], podIPs: ['10.0.0.5'] });
    expect(status.conditions?.map(x => x.type)).toEqual([
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]);
    expect(conditions(status)).toEqual({
      PodReadyToStartContainers: 'True',
      Initialized: 'True',
      Ready: 'True',
      ContainersReady: 'True',
      PodScheduled: 'True',
    });
  });

  it('succeeded and failed pods', () => {
    expect(
      conditions(
        build(pod({ restartPolicy: 'Never' }), { containers: [c('app', exited(0))], stopped: true }),
      ),
    ).toEqual({
      PodReadyToStartContainers: 'False',
      Initialized: 'True PodCompleted',
      Ready: 'False PodCompleted',
      ContainersReady: 'False PodCompleted',
      PodScheduled: 'True',
    });
    expect(
      conditions(build(pod({ restartPolicy: 'Never' }), { containers: [c('app', exited(1))] })),
    ).toMatchObject({ Ready: 'False PodFailed', ContainersReady: 'False PodFailed' });
  });

  it('a sidecar counts towards readiness and initialization once started', () => {
    const p = pod({ sidecars: ['proxy'] });
    expect(
      conditions(
        build(p, {
          initContainers: [c('proxy', running(), { ready: false })],
          containers: [c('app', running())],
        }),
      ),
    ).toMatchObject({
      Initialized: 'True',
      Ready: 'False ContainersNotReady containers with unready status: [proxy]',
    });
  });

  it('keeps transition times while a condition keeps its status, and the scheduler time of PodScheduled', () => {
    const p = pod({});
    const api: V1PodStatus = {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }],
    };
    const pending = buildPodStatus(p, {}, { previous: api, now: T1 });
    const time = (s: V1PodStatus, type: string) =>
      s.conditions?.find(x => x.type === type)?.lastTransitionTime;
    expect(time(pending, 'PodScheduled')).toEqual(T0);
    expect(time(pending, 'Ready')).toEqual(T1);
    const runningStatus = buildPodStatus(
      p,
      { containers: [c('app', running())] },
      { previous: pending, now: NOW },
    );
    expect(time(runningStatus, 'Ready')).toEqual(NOW);
    expect(time(runningStatus, 'Initialized')).toEqual(T1);
    const again = buildPodStatus(p, { containers: [c('app', running())] }, { previous: runningStatus });
    expect(jsonEqual(again, runningStatus)).toBe(true);
  });
});

describe('buildPodStatus: pod fields', () => {
  it('reports host and pod IPs, the start time, and keeps startTime and qosClass once reported', () => {
    const status = build(pod({}), { podIPs: ['10.0.0.5', 'fd00::5'], startTime: T0 });
    expect(status).toMatchObject({
      hostIP: '192.0.2.1',
      hostIPs: [{ ip: '192.0.2.1' }],
      podIP: '10.0.0.5',
      podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }],
      startTime: T0,
      qosClass: 'BestEffort',
    });
    const later = build(pod({}), { startTime: T1 }, { ...status, qosClass: 'Burstable' });
    expect(later).toMatchObject({ startTime: T0, qosClass: 'Burstable' });
    expect(build(pod({}), {})).not.toHaveProperty('startTime');
  });

  it('reports a pod-level verdict with its reason and message', () => {
    expect(
      build(pod({}), {
        containers: [c('app', exited(137))],
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
        stopped: true,
      }),
    ).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });
});

describe('goneObservation (the kubelet TerminatePod)', () => {
  it('terminates what had not ended with 137 ContainerStatusUnknown and fails the pod', () => {
    const p = pod({ init: ['i1', 'i2'], containers: ['a', 'b'] });
    const last = build(p, {
      initContainers: [c('i1', exited(0)), c('i2', running())],
      containers: [],
    });
    const gone = build(p, goneObservation(last), last);
    expect(gone.phase).toBe('Failed');
    expect(gone.initContainerStatuses?.map(s => s.state?.terminated?.reason)).toEqual([
      'Completed',
      'ContainerStatusUnknown',
    ]);
    expect(gone.containerStatuses?.map(s => s.state?.terminated?.exitCode)).toEqual([137, 137]);
    expect(conditions(gone)).toMatchObject({ PodReadyToStartContainers: 'False', Ready: 'False PodFailed' });
  });

  it('leaves init containers that never started waiting, and a finished pod as it was', () => {
    const p = pod({ init: ['i1', 'i2'], restartPolicy: 'Never' });
    const gone = build(p, goneObservation(build(p, { initContainers: [c('i1', running())] })));
    expect(gone.initContainerStatuses?.map(s => Object.keys(s.state ?? {})[0])).toEqual([
      'terminated',
      'waiting',
    ]);
    const q = pod({ restartPolicy: 'Never' });
    const succeeded = build(q, { containers: [c('app', exited(0))] });
    expect(build(q, goneObservation(succeeded), succeeded).phase).toBe('Succeeded');
  });
});
