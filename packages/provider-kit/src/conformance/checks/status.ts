import type { V1ContainerStatus, V1PodStatus } from '@kubernetes/client-node';
import assert from 'node:assert/strict';

import type { ConformanceCheck } from './check.js';

const category = 'status';

function container(status: V1PodStatus, name: string, init = false): V1ContainerStatus {
  const list = (init ? status.initContainerStatuses : status.containerStatuses) ?? [];
  const found = list.find(c => c.name === name);
  assert.ok(found, `no ${init ? 'init ' : ''}container status for ${name}`);
  return found;
}

function time(value: Date | string | undefined, what: string): number {
  assert.ok(value, `${what} is missing`);
  const ms = new Date(value).getTime();
  assert.ok(Number.isFinite(ms), `${what} is not a time: ${String(value)}`);
  return ms;
}

export const statusChecks: ConformanceCheck[] = [
  {
    id: 'status.running',
    title: 'a pod goes from Pending to Running with running, ready containers, a start time and a pod IP',
    category,
    requires: [],
    async run(session) {
      const pod = session.pod('running', { containers: [session.shell('app', 'sleep 3600')] });
      await session.create(pod);
      const status = await session.waitForRunning(pod);
      const app = container(status, 'app');
      time(app.state?.running?.startedAt, 'state.running.startedAt');
      time(status.startTime, 'status.startTime');
      assert.equal(app.ready, true, 'a running container without probes is ready');
      assert.equal(app.restartCount, 0);
      assert.ok(status.podIP, 'status.podIP is empty');
      const ready = status.conditions?.find(c => c.type === 'Ready');
      assert.equal(ready?.status, 'True', 'the Ready condition must be True');
      await session.delete(pod);
    },
  },
  {
    id: 'status.succeeded',
    title: 'a container exiting 0 under restartPolicy Never leaves the pod Succeeded with exit code 0',
    category,
    requires: ['exitCodes'],
    async run(session) {
      const pod = session.pod('ok', { containers: [session.shell('app', 'echo done; exit 0')] });
      await session.create(pod);
      const status = await session.waitForPhase(pod, ['Succeeded', 'Failed']);
      assert.equal(status.phase, 'Succeeded');
      const terminated = container(status, 'app').state?.terminated;
      assert.ok(terminated, 'the container must be terminated');
      assert.equal(terminated.exitCode, 0);
      const started = time(terminated.startedAt, 'terminated.startedAt');
      assert.ok(
        time(terminated.finishedAt, 'terminated.finishedAt') >= started,
        'finishedAt precedes startedAt',
      );
      await session.delete(pod);
    },
  },
  {
    id: 'status.failed',
    title: 'a container exiting 3 under restartPolicy Never leaves the pod Failed with exit code 3',
    category,
    requires: ['exitCodes'],
    async run(session) {
      const pod = session.pod('fail', { containers: [session.shell('app', 'exit 3')] });
      await session.create(pod);
      const status = await session.waitForPhase(pod, ['Succeeded', 'Failed']);
      assert.equal(status.phase, 'Failed');
      assert.equal(container(status, 'app').state?.terminated?.exitCode, 3);
      await session.delete(pod);
    },
  },
  {
    id: 'restart.on-failure',
    title: 'restartPolicy OnFailure restarts a failing container and counts restarts',
    category: 'restart',
    requires: ['exitCodes', 'restartPolicies'],
    async run(session) {
      const pod = session.pod('onfail', {
        restartPolicy: 'OnFailure',
        containers: [session.shell('app', 'exit 2')],
      });
      await session.create(pod);
      const status = await session.waitFor(
        pod,
        'restarted at least once',
        s => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
        session.timeouts.podRunningMs + session.timeouts.podExitMs,
      );
      assert.ok(status.phase !== 'Succeeded', 'a pod whose container keeps failing must not be Succeeded');
      await session.delete(pod);
    },
  },
  {
    id: 'restart.always',
    title: 'restartPolicy Always restarts a container that exited 0 and keeps the pod Running',
    category: 'restart',
    requires: ['exitCodes', 'restartPolicies'],
    async run(session) {
      const pod = session.pod('always', {
        restartPolicy: 'Always',
        containers: [session.shell('app', 'exit 0')],
      });
      await session.create(pod);
      const status = await session.waitFor(
        pod,
        'restarted at least once',
        s => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
        session.timeouts.podRunningMs + session.timeouts.podExitMs,
      );
      assert.ok(
        status.phase === 'Running' || status.phase === 'Pending',
        `restartPolicy Always never ends a pod, phase was ${status.phase}`,
      );
      const last = container(status, 'app').lastState?.terminated;
      assert.equal(last?.exitCode, 0, 'lastState must hold the previous run, which exited 0');
      await session.delete(pod);
    },
  },
  {
    id: 'restart.never',
    title: 'restartPolicy Never does not restart a failed container',
    category: 'restart',
    requires: ['exitCodes'],
    async run(session) {
      const pod = session.pod('never', { containers: [session.shell('app', 'exit 1')] });
      await session.create(pod);
      const status = await session.waitForPhase(pod, ['Failed', 'Succeeded']);
      assert.equal(status.phase, 'Failed');
      assert.equal(container(status, 'app').restartCount, 0);
      await session.delete(pod);
    },
  },
  {
    id: 'containers.init-order',
    title: 'init containers run one after another, to completion, before the app containers start',
    category: 'containers',
    requires: ['initContainers'],
    async run(session) {
      const pod = session.pod('init', {
        initContainers: [
          session.shell('init-1', 'sleep 0.2; exit 0'),
          session.shell('init-2', 'sleep 0.2; exit 0'),
        ],
        containers: [session.shell('app', 'sleep 3600')],
      });
      await session.create(pod);
      const status = await session.waitForRunning(pod);
      const first = container(status, 'init-1', true).state?.terminated;
      const second = container(status, 'init-2', true).state?.terminated;
      assert.equal(first?.exitCode, 0, 'init-1 must have completed');
      assert.equal(second?.exitCode, 0, 'init-2 must have completed');
      assert.ok(
        time(second.startedAt, 'init-2 startedAt') >= time(first.finishedAt, 'init-1 finishedAt'),
        'init-2 started before init-1 finished',
      );
      const appStarted = time(container(status, 'app').state?.running?.startedAt, 'app startedAt');
      assert.ok(
        appStarted >= time(second.finishedAt, 'init-2 finishedAt'),
        'app started before init-2 finished',
      );
      assert.equal(status.conditions?.find(c => c.type === 'Initialized')?.status, 'True');
      await session.delete(pod);
    },
  },
  {
    id: 'containers.init-failure',
    title: 'a failing init container under restartPolicy Never fails the pod and never starts the app',
    category: 'containers',
    requires: ['initContainers', 'exitCodes'],
    async run(session) {
      const pod = session.pod('initfail', {
        initContainers: [session.shell('init', 'exit 4')],
        containers: [session.shell('app', 'sleep 3600')],
      });
      await session.create(pod);
      const status = await session.waitForPhase(pod, ['Failed', 'Succeeded', 'Running']);
      assert.equal(status.phase, 'Failed');
      assert.equal(container(status, 'init', true).state?.terminated?.exitCode, 4);
      assert.ok(!container(status, 'app').state?.running, 'the app container must not run');
      await session.delete(pod);
    },
  },
  {
    id: 'containers.multi',
    title: 'every container of a multi-container pod runs and reports its own status',
    category: 'containers',
    requires: ['multiContainer'],
    async run(session) {
      const names = ['first', 'second', 'third'];
      const pod = session.pod('multi', { containers: names.map(name => session.shell(name, 'sleep 3600')) });
      await session.create(pod);
      const status = await session.waitForRunning(pod);
      assert.deepEqual(status.containerStatuses?.map(c => c.name).sort(), [...names].sort());
      await session.delete(pod);
    },
  },
];
