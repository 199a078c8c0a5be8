import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DELETE_MARKER } from '../../src/pod/adopt.js';
import { isInterruptedStart, isLostByRuntime } from '../../src/pod/status.js';
import type { ContainerStatus } from '../../src/cri/types.js';
import { Agent, busyboxPod, withPodRoot } from './support/agent.js';
import { MemoryRuntime } from './support/memory-runtime.js';

const sandboxesOf = (runtime: MemoryRuntime) =>
  [...runtime.sandboxes.values()].map(s => `${s.state}@${s.config.metadata.attempt}`);

describe('CRI sync: starts that fail', () => {
  it('takes a start whose request was cancelled as no failure: created again, no restart, a Never pod runs', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const agent = new Agent(runtime, podRoot);
      runtime.cancelStart.add('c');
      const record = await agent.create(busyboxPod('Never'));
      const status = await agent.sync(record, 3);
      expect(status.phase).toBe('Running');
      expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { running: {} } });
      expect(status.containerStatuses?.[0]?.lastState).toEqual({});
      expect(runtime.calls.filter(c => c.startsWith('CreateContainer'))).toEqual([
        'CreateContainer c attempt=0',
        'CreateContainer c attempt=0',
      ]);
    }));

  it('takes a start the runtime refused as the container failing: RunContainerError, a restart, a Never pod fails', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const agent = new Agent(runtime, podRoot);
      const message = 'failed to create containerd task: exec: "sleepx": executable file not found in $PATH';
      runtime.failStart.set('c', message);
      const never = await agent.create(busyboxPod('Never'));
      await agent.backend.sync(never, { signal: AbortSignal.timeout(5_000) });
      agent.pods.update(never);
      expect(never.status.containerStatuses?.[0]?.state?.waiting).toMatchObject({
        reason: 'RunContainerError',
      });
      expect((await agent.sync(never, 2)).phase).toBe('Failed');
      const always = await agent.create(busyboxPod('Always'));
      await agent.sync(always, 4);
      expect(always.status.containerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(1);
      expect(always.status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
        exitCode: 128,
        reason: 'StartError',
      });
    }));

  it('reads containerd’s words for a start cut short, and only those', () => {
    const status = (message: string, reason = 'StartError'): ContainerStatus =>
      ({ state: 'CONTAINER_EXITED', exit_code: 128, reason, message }) as ContainerStatus;
    for (const message of [
      'failed to create containerd task: failed to create shim task: context canceled: unknown',
      'failed to create containerd task: failed to start shim: start failed: : context canceled',
      'failed to create containerd task: failed to start shim: start failed: : signal: killed: unknown',
      'failed to create containerd task: context deadline exceeded',
    ])
      expect(isInterruptedStart(status(message)), message).toBe(true);
    expect(isInterruptedStart(status('exec: "x": executable file not found in $PATH'))).toBe(false);
    expect(isInterruptedStart(status('context canceled', 'Error'))).toBe(false);
  });
});

describe('CRI sync: a container the runtime lost across its restart', () => {
  it('shows a Never job whose task containerd lost as being created, not Failed, and runs it again', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const first = new Agent(runtime, podRoot);
      await first.sync(await first.create(busyboxPod('Never')), 1);
      const [c] = [...runtime.containers.values()];
      // containerd's restart recovery: the container was running, its task is gone.
      runtime.setContainer(c!.id, { state: 'CONTAINER_EXITED', exitCode: 255, reason: 'Unknown' });

      const agent = new Agent(runtime, podRoot);
      const [adopted] = await agent.adopt();
      agent.pods.update(adopted!);
      expect(adopted!.status.phase).not.toBe('Failed');
      expect(adopted!.status.containerStatuses?.[0]?.state).toEqual({
        waiting: {
          reason: 'ContainerCreating',
          message: 'the runtime lost the container across its restart; creating it again',
        },
      });

      const status = await agent.sync(adopted!, 2);
      expect(status.phase).toBe('Running');
      expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 0, lastState: {} });
      expect(runtime.calls.filter(call => /^(Create|Remove)Container/.test(call))).toEqual([
        'CreateContainer c attempt=0',
        'RemoveContainer c attempt=0',
        'CreateContainer c attempt=0',
      ]);
    }));

  it('reads containerd’s mark of a lost task (255, reason Unknown), and only that', () => {
    const status = (exit_code: number, reason: string): ContainerStatus =>
      ({ state: 'CONTAINER_EXITED', exit_code, reason, message: '' }) as ContainerStatus;
    expect(isLostByRuntime(status(255, 'Unknown'))).toBe(true);
    // The process itself exited 255: containerd says Error.
    expect(isLostByRuntime(status(255, 'Error'))).toBe(false);
    expect(isLostByRuntime(status(137, 'Unknown'))).toBe(false);
    expect(isLostByRuntime({ ...status(255, 'Unknown'), state: 'CONTAINER_UNKNOWN' })).toBe(false);
  });
});

describe('CRI sync: sandboxes', () => {
  it('runs init containers again from the first in a new sandbox, each counting a restart', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const agent = new Agent(runtime, podRoot);
      const pod = busyboxPod('Always', {
        initContainers: [
          { name: 'i1', image: 'busybox:1', command: ['true'] },
          { name: 'i2', image: 'busybox:1', command: ['true'] },
        ],
      });
      const record = await agent.create(pod);
      for (const name of ['i1', 'i2']) {
        await agent.sync(record, 1);
        const [init] = runtime.containersOf(record.state.sandboxId, name);
        runtime.setContainer(init!.id, { state: 'CONTAINER_EXITED', exitCode: 0 });
      }
      expect((await agent.sync(record, 1)).phase).toBe('Running');
      runtime.killSandbox(record.state.sandboxId);
      const calls = runtime.calls.length;
      await agent.sync(record, 1);
      expect(runtime.calls.slice(calls)).toEqual([
        'StopPodSandbox attempt=0',
        'RemovePodSandbox attempt=0',
        'RunPodSandbox ' + pod.metadata!.name + ' attempt=1',
        'CreateContainer i1 attempt=1',
        'StartContainer i1',
      ]);
      expect(record.status.initContainerStatuses?.map(s => s.restartCount)).toEqual([1, 1]);
      expect(record.status.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
    }));

  it('keeps an OnFailure container that succeeded done and restarts the one that failed', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const agent = new Agent(runtime, podRoot);
      const record = await agent.create(
        busyboxPod('OnFailure', {
          containers: [
            { name: 'done', image: 'busybox:1' },
            { name: 'fails', image: 'busybox:1' },
          ],
        }),
      );
      await agent.sync(record, 1);
      const [done] = runtime.containersOf(record.state.sandboxId, 'done');
      const [fails] = runtime.containersOf(record.state.sandboxId, 'fails');
      runtime.setContainer(done!.id, { state: 'CONTAINER_EXITED', exitCode: 0 });
      runtime.setContainer(fails!.id, { state: 'CONTAINER_EXITED', exitCode: 2 });
      runtime.sandboxes.get(record.state.sandboxId)!.state = 'SANDBOX_NOTREADY';
      const status = await agent.sync(record, 3);
      const byName = new Map(status.containerStatuses?.map(s => [s.name, s]));
      expect(byName.get('done')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0 } } });
      expect(byName.get('fails')).toMatchObject({ restartCount: 1, state: { running: {} } });
      expect(sandboxesOf(runtime)).toEqual(['SANDBOX_READY@1']);
    }));

  it('retries a new sandbox the runtime fails to make with back-off, never holding two', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const agent = new Agent(runtime, podRoot);
      const record = await agent.create(busyboxPod('Always'));
      await agent.sync(record, 1);
      runtime.killSandbox(record.state.sandboxId);
      runtime.failRunSandbox = 2;
      const status = await agent.sync(record, 8);
      expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 1, state: { running: {} } });
      expect(sandboxesOf(runtime)).toEqual(['SANDBOX_READY@1']);
      expect(runtime.mostSandboxesOfAPod).toBe(1);
    }));

  it('adopts one sandbox of a pod that has several, removing the others', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const first = new Agent(runtime, podRoot);
      const pod = busyboxPod('Always');
      const record = await first.create(pod);
      await first.sync(record, 1);
      runtime.killSandbox(record.state.sandboxId);
      // An earlier agent made the replacement and died before it removed the old one.
      const replacement = await runtime.runPodSandbox({
        ...record.state.sandboxConfig,
        metadata: { ...record.state.sandboxConfig.metadata, attempt: 1 },
      });
      const second = new Agent(runtime, podRoot);
      const [adopted, ...more] = await second.adopt();
      expect(more).toEqual([]);
      expect(adopted?.state.sandboxId).toBe(replacement);
      expect(sandboxesOf(runtime)).toEqual(['SANDBOX_READY@1']);
      const status = await second.sync(adopted!, 1);
      expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 1, state: { running: {} } });
    }));

  it('creates a pod without duplicating: a ready sandbox left by a lost create is taken, one not ready goes', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const first = new Agent(runtime, podRoot);
      const pod = busyboxPod('Always');
      const lost = await first.create(pod);
      runtime.sandboxes.get(lost.state.sandboxId)!.state = 'SANDBOX_NOTREADY';
      const second = new Agent(runtime, podRoot);
      const again = await second.backend.create(pod, { signal: AbortSignal.timeout(5_000) });
      expect(sandboxesOf(runtime)).toEqual(['SANDBOX_READY@1']);
      const third = new Agent(runtime, podRoot);
      const reused = await third.backend.create(pod, { signal: AbortSignal.timeout(5_000) });
      expect(reused.sandboxId).toBe(again.sandboxId);
      expect(sandboxesOf(runtime)).toEqual(['SANDBOX_READY@1']);
    }));

  it('starts nothing of a pod whose delete an earlier agent began', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const first = new Agent(runtime, podRoot);
      const record = await first.create(busyboxPod('Always'));
      await first.sync(record, 1);
      await writeFile(join(record.state.podDir, DELETE_MARKER), '');
      const [c] = runtime.containersOf(record.state.sandboxId);
      runtime.setContainer(c!.id, { state: 'CONTAINER_EXITED', exitCode: 143 });
      const second = new Agent(runtime, podRoot);
      const [adopted] = await second.adopt();
      const calls = runtime.calls.length;
      await second.sync(adopted!, 3);
      expect(runtime.calls.slice(calls)).toEqual([]);
      await second.backend.delete(adopted!, { signal: AbortSignal.timeout(5_000) });
      expect(runtime.sandboxes.size).toBe(0);
      expect(existsSync(record.state.podDir)).toBe(false);
    }));
});
