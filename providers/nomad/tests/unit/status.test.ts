import { buildPodStatus } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import type { AllocationListStub, TaskEvent, TaskState } from '../../src/nomad/types.js';
import { observeJob, type JobState } from '../../src/status.js';
import { container, pod } from './fixtures.js';

const ZERO = '0001-01-01T00:00:00Z';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const ns = (seconds: number) => (T0 + seconds * 1000) * 1e6;

function event(type: string, seconds: number, extra: Partial<TaskEvent> = {}): TaskEvent {
  return { Type: type, Time: ns(seconds), DisplayMessage: type, ...extra };
}

function task(state: TaskState['State'], extra: Partial<TaskState> = {}): TaskState {
  return {
    State: state,
    Failed: false,
    Restarts: 0,
    StartedAt: ZERO,
    FinishedAt: ZERO,
    Events: [],
    ...extra,
  };
}

let index = 100;
function alloc(
  tasks: Record<string, TaskState> | null,
  extra: Partial<AllocationListStub> = {},
): AllocationListStub {
  index += 10;
  return {
    ID: `alloc-${index}`,
    Name: 'vk.default.web.pod[0]',
    Namespace: 'apps',
    NodeID: 'node-1',
    JobID: 'vk.default.web',
    TaskGroup: 'pod',
    DesiredStatus: 'run',
    ClientStatus: 'running',
    TaskStates: tasks,
    AllocatedResources: { Shared: { Networks: [{ Mode: 'host', IP: '10.0.0.7' }] } },
    CreateIndex: index,
    ModifyIndex: index,
    CreateTime: ns(0),
    ModifyTime: ns(0),
    ...extra,
  };
}

function state(allocs: AllocationListStub[], extra: Partial<JobState> = {}): JobState {
  return {
    jobId: 'vk.default.web',
    createIndex: 1,
    allocs,
    purged: false,
    firstSeen: new Date(T0),
    ...extra,
  };
}

const nodes = (id: string) => (id === 'node-1' ? '192.168.1.1' : undefined);
const status = (s: JobState, p = pod()) => buildPodStatus(p, observeJob(p, s, nodes));
const app = (s: JobState, p = pod()) => status(s, p).containerStatuses![0]!;

describe('allocations → pod status', () => {
  it('no allocation yet, or one the client has not picked up: Pending, ContainerCreating', () => {
    for (const s of [state([]), state([alloc(null, { ClientStatus: 'pending' })])]) {
      const result = status(s);
      expect(result.phase).toBe('Pending');
      expect(result.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    }
  });

  it('a running task: Running, started at StartedAt, pod IP from the group network', () => {
    const running = state([
      alloc({ app: task('running', { StartedAt: at(5), Events: [event('Started', 5)] }) }),
    ]);
    const result = status(running);
    expect(result.phase).toBe('Running');
    expect(result.podIP).toBe('10.0.0.7');
    expect(result.startTime).toEqual(new Date(T0));
    expect(result.containerStatuses![0]).toMatchObject({
      ready: true,
      restartCount: 0,
      state: { running: { startedAt: new Date(at(5)) } },
      containerID: expect.stringMatching(/^nomad:\/\/alloc-\d+\/app$/),
    });
  });

  it('pod IP: the bridge address once read, the node address without a group network', () => {
    const bridge = alloc(
      { app: task('running', { StartedAt: at(1) }) },
      { AllocatedResources: { Shared: { Networks: [{ Mode: 'bridge', IP: '10.0.0.7' }] } } },
    );
    expect(status(state([bridge])).podIP).toBeUndefined();
    expect(status(state([bridge], { addresses: { [bridge.ID]: '172.26.64.9' } })).podIP).toBe('172.26.64.9');
    const plain = alloc({ app: task('running', { StartedAt: at(1) }) }, { AllocatedResources: null });
    expect(status(state([plain])).podIP).toBe('192.168.1.1');
  });

  it('exit codes come from Terminated events; a batch task that ended is Succeeded or Failed', () => {
    const done = (code: number) =>
      state([
        alloc(
          {
            app: task('dead', {
              Failed: code !== 0,
              StartedAt: at(1),
              FinishedAt: at(3),
              Events: [event('Started', 1), event('Terminated', 3, { ExitCode: code })],
            }),
          },
          { ClientStatus: code === 0 ? 'complete' : 'failed' },
        ),
      ]);
    const never = pod({ restartPolicy: 'Never' });
    expect(status(done(0), never).phase).toBe('Succeeded');
    expect(app(done(0), never).state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const failed = status(done(3), never);
    expect(failed.phase).toBe('Failed');
    expect(failed.containerStatuses![0]!.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
      startedAt: new Date(at(1)),
      finishedAt: new Date(at(3)),
    });
  });

  it('an OOM kill says OOMKilled', () => {
    const oom = state([
      alloc(
        {
          app: task('dead', {
            StartedAt: at(1),
            Events: [event('Terminated', 2, { ExitCode: 137, Details: { oom_killed: 'true' } })],
          }),
        },
        { ClientStatus: 'failed' },
      ),
    ]);
    expect(app(oom, pod({ restartPolicy: 'Never' })).state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
    });
  });

  it('restarts in place: count, last state from the previous Terminated event, CrashLoopBackOff while waiting', () => {
    const events = [event('Started', 1), event('Terminated', 2, { ExitCode: 1 }), event('Restarting', 2)];
    const waiting = state([
      alloc({ app: task('pending', { Restarts: 1, StartedAt: at(1), Events: events }) }),
    ]);
    expect(app(waiting)).toMatchObject({
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(at(2)) } },
    });
    const again = state([
      alloc({
        app: task('running', { Restarts: 1, StartedAt: at(4), Events: [...events, event('Started', 4)] }),
      }),
    ]);
    expect(app(again)).toMatchObject({
      restartCount: 1,
      state: { running: {} },
      lastState: { terminated: { exitCode: 1 } },
    });
  });

  it('a lost allocation and its replacement: the container restarted, its last run lost with the node', () => {
    const lost = alloc(
      { app: task('dead', { StartedAt: at(1), FinishedAt: at(9), Events: [event('Started', 1)] }) },
      {
        ClientStatus: 'lost',
        DesiredStatus: 'stop',
        ClientDescription: 'alloc is lost since its node is down',
      },
    );
    const alone = app(state([lost]));
    expect(alone.state?.terminated).toMatchObject({ exitCode: 137, reason: 'NodeLost' });
    expect(status(state([lost])).phase).toBe('Running'); // restartPolicy Always: a replacement is coming
    const replacement = alloc({
      app: task('running', { StartedAt: at(12), Events: [event('Started', 12)] }),
    });
    expect(app(state([lost, replacement]))).toMatchObject({
      restartCount: 1,
      state: { running: { startedAt: new Date(at(12)) } },
      lastState: { terminated: { exitCode: 137, reason: 'NodeLost', startedAt: new Date(at(1)) } },
    });
  });

  it('a driver failure: waiting with the error while retried, StartError once dead', () => {
    const failure = event('Driver Failure', 1, { DriverError: 'failed to pull image "nope:1": not found' });
    const retrying = state([
      alloc({ app: task('pending', { Events: [failure] }) }, { ClientStatus: 'pending' }),
    ]);
    expect(app(retrying).state?.waiting).toEqual({ reason: 'ErrImagePull', message: failure.DriverError });
    const dead = state([
      alloc({ app: task('dead', { Failed: true, Events: [failure] }) }, { ClientStatus: 'failed' }),
    ]);
    expect(app(dead, pod({ restartPolicy: 'Never' })).state?.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      message: failure.DriverError,
    });
  });

  it('an init container that failed keeps the app waiting and fails a Never pod', () => {
    const p = pod({
      restartPolicy: 'Never',
      initContainers: [container('init')],
      containers: [container('app')],
    });
    const s = state([
      alloc(
        {
          init: task('dead', {
            Failed: true,
            StartedAt: at(1),
            Events: [event('Terminated', 2, { ExitCode: 4 })],
          }),
          app: task('dead', { Events: [event('Sibling Task Failed', 2)] }),
        },
        { ClientStatus: 'failed' },
      ),
    ]);
    const result = status(s, p);
    expect(result.phase).toBe('Failed');
    expect(result.initContainerStatuses![0]!.state?.terminated?.exitCode).toBe(4);
    expect(result.containerStatuses![0]!.state?.running).toBeUndefined();
  });

  it('a job stopped outside Kubernetes ends the pod with a reason; a purge by deletePod without one', () => {
    const killed = alloc(
      {
        app: task('dead', {
          StartedAt: at(1),
          Events: [event('Killing', 5), event('Terminated', 6, { ExitCode: 143 }), event('Killed', 6)],
        }),
      },
      { ClientStatus: 'complete', DesiredStatus: 'stop' },
    );
    const outside = status(state([killed], { job: { stop: true, status: 'dead' } }));
    expect(outside).toMatchObject({ phase: 'Failed', reason: 'JobStopped' });
    const deleted = status(state([killed], { purged: true }));
    expect(deleted.phase).toBe('Failed');
    expect(deleted.reason).toBeUndefined();
  });
});
