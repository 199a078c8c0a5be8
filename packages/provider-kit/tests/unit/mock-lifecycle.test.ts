import { afterEach, describe, expect, it } from 'vitest';

import { isInvalidInput, isNotFound, isTransient, type Provider } from '../../src/index.js';
import { MockBackend, MockProvider } from '../../src/mock/index.js';
import { call, makePod, sh, waitForStatus } from './helpers.js';

const backends: MockBackend[] = [];
function mock(options: ConstructorParameters<typeof MockProvider>[0] = {}): MockProvider {
  const backend = options.backend ?? new MockBackend();
  backends.push(backend);
  return new MockProvider({ startupDelayMs: 1, restartDelayMs: 5, ...options, backend });
}
afterEach(() => backends.splice(0).forEach(b => b.close()));

const running = (provider: Provider, pod: Parameters<typeof waitForStatus>[1]) =>
  waitForStatus(provider, pod, s => s.phase === 'Running');

describe('MockProvider pod table', () => {
  it('keeps pods whose ns-name keys would collide upstream apart', async () => {
    const provider = mock();
    const a = makePod('c', [sh('app', 'sleep 60')], { namespace: 'a-b' });
    const b = makePod('b-c', [sh('app', 'sleep 60')], { namespace: 'a' });
    await Promise.all([provider.createPod(a, call()), provider.createPod(b, call())]);
    const pods = await provider.getPods(call());
    expect(pods.map(p => `${p.metadata?.namespace}/${p.metadata?.name}`).sort()).toEqual(['a-b/c', 'a/b-c']);
  });

  it('creates once per UID under concurrent calls with latency, and replaces a pod whose UID changed', async () => {
    const provider = mock({ latencyMs: { min: 0, max: 5 } });
    const pod = makePod('p', [sh('app', 'sleep 60')]);
    await Promise.all(Array.from({ length: 10 }, () => provider.createPod(structuredClone(pod), call())));
    expect(provider.backend.listResources()).toHaveLength(1);
    const recreated = makePod('p', [sh('app', 'sleep 60')]);
    await provider.createPod(recreated, call());
    const got = await provider.getPod('default', 'p', call());
    expect(got.metadata?.uid).toBe(recreated.metadata?.uid);
    expect(provider.backend.listResources()).toEqual([`pod/default/p/${recreated.metadata?.uid}`]);
  });

  it('rejects a pod without namespace or name, and unknown behaviours, as InvalidInput', async () => {
    const provider = mock();
    await expect(provider.createPod({ metadata: { name: 'x' } }, call())).rejects.toSatisfy(isInvalidInput);
    const odd = makePod('odd', [sh('app', 'true')], {
      annotations: { 'mock.vkubelet.io/behaviour': 'dance' },
    });
    await expect(provider.createPod(odd, call())).rejects.toThrow(/unknown behaviour "dance"/);
  });

  it('deletes: terminal status is notified, then the pod is NotFound', async () => {
    const provider = mock();
    const phases: string[] = [];
    provider.notifyPods!(p => phases.push(p.status?.phase ?? ''));
    const pod = makePod('gone', [sh('app', 'sleep 60')]);
    await provider.createPod(pod, call());
    await running(provider, pod);
    await provider.deletePod(pod, call());
    expect(phases.at(-1)).toBe('Succeeded');
    await expect(provider.getPod('default', 'gone', call())).rejects.toSatisfy(isNotFound);
    await expect(provider.deletePod(pod, call())).rejects.toSatisfy(isNotFound);
  });

  it('has no notifyPods with notifier: false, so core polls', () => {
    expect(mock({ notifier: false }).notifyPods).toBeUndefined();
    expect(mock().notifyPods).toBeTypeOf('function');
  });

  it('injects the configured error kind on the chosen operation only', async () => {
    const provider = mock({ errors: [{ operation: 'getPods', rate: 1, kind: 'Transient' }] });
    await expect(provider.getPods(call())).rejects.toSatisfy(isTransient);
    await expect(provider.getPod('default', 'none', call())).rejects.toSatisfy(isNotFound);
  });

  it('injects errors at roughly the configured rate, repeatably for a seed', async () => {
    const failures = async (seed: number) => {
      const provider = mock({ seed, errors: [{ rate: 0.3, kind: 'plain' }] });
      let failed = 0;
      for (let i = 0; i < 200; i++) await provider.getPods(call()).catch(() => failed++);
      return failed;
    };
    const first = await failures(7);
    expect(first).toBeGreaterThan(30);
    expect(first).toBeLessThan(90);
    expect(await failures(7)).toBe(first);
  });

  it('a second instance on the same backend finds running pods and keeps their status', async () => {
    const backend = new MockBackend();
    const first = mock({ backend });
    const pod = makePod('survivor', [sh('app', 'sleep 60')]);
    await first.createPod(pod, call());
    await running(first, pod);
    await first.close();
    const second = mock({ backend });
    const [found] = await second.getPods(call());
    expect(found?.metadata?.uid).toBe(pod.metadata?.uid);
    expect(found?.status?.phase).toBe('Running');
  });
});

describe('MockProvider container behaviour', () => {
  it('runs init containers in order, then app containers, with deterministic pod IPs', async () => {
    const provider = mock();
    const pod = makePod('init', [sh('app', 'sleep 60')], {
      init: [sh('one', 'exit 0'), sh('two', 'exit 0')],
    });
    await provider.createPod(pod, call());
    const status = await running(provider, pod);
    const [one, two] = status.initContainerStatuses ?? [];
    expect(one?.state?.terminated?.exitCode).toBe(0);
    expect(new Date(two!.state!.terminated!.startedAt!).getTime()).toBeGreaterThanOrEqual(
      new Date(one!.state!.terminated!.finishedAt!).getTime(),
    );
    expect(status.podIP).toBe('10.1.0.1');
    expect(status.hostIP).toBe('10.0.0.1');
  });

  it.each([
    ['fail', 'Failed', 1],
    ['exit:42', 'Failed', 42],
    ['run:30', 'Succeeded', 0],
  ])('behaviour %s ends the pod %s with exit code %i', async (behaviour, phase, code) => {
    const provider = mock();
    const pod = makePod('b', [{ name: 'app' }], { annotations: { 'mock.vkubelet.io/behaviour': behaviour } });
    await provider.createPod(pod, call());
    const status = await waitForStatus(provider, pod, s => s.phase === phase);
    expect(status.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(code);
  });

  it('flaps under restartPolicy Always: restarts counted, last state Error', async () => {
    const provider = mock({ flapMs: 10 });
    const pod = makePod('flap', [{ name: 'app' }], {
      restartPolicy: 'Always',
      annotations: { 'mock.vkubelet.io/behaviour': 'flap' },
    });
    await provider.createPod(pod, call());
    const status = await waitForStatus(
      provider,
      pod,
      s => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
    );
    expect(status.phase).toBe('Running');
    expect(status.containerStatuses?.[0]?.lastState?.terminated?.reason).toBe('Error');
  });

  it('runs a lone sleep for its time, exits 0 and restarts under Always', async () => {
    const provider = mock();
    const pod = makePod('nap', [{ name: 'app', image: 'busybox', command: ['sleep', '0.02'] }], {
      restartPolicy: 'Always',
    });
    await provider.createPod(pod, call());
    const status = await waitForStatus(
      provider,
      pod,
      s => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    expect(status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    const bad = makePod('bad-nap', [sh('app', 'sleep soon')]);
    await provider.createPod(bad, call());
    const failed = await waitForStatus(provider, bad, s => s.phase === 'Failed');
    expect(failed.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
  });

  it('holds no timer for a sleeping container once its pod is deleted', async () => {
    const provider = mock();
    const timers = () => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length;
    const pods = Array.from({ length: 20 }, (_, i) => makePod(`sleeper-${i}`, [sh('app', 'sleep 3600')]));
    for (const pod of pods) await provider.createPod(pod, call());
    await Promise.all(pods.map(pod => running(provider, pod)));
    const sleeping = timers();
    for (const pod of pods) await provider.deletePod(pod, call());
    // Other tests' timers come and go; twenty fewer is what the deletes must account for.
    expect(sleeping - timers()).toBeGreaterThanOrEqual(20);
  });

  it('targets one container with the suffixed annotation', async () => {
    const provider = mock();
    const pod = makePod('one', [{ name: 'good' }, { name: 'bad' }], {
      annotations: { 'mock.vkubelet.io/behaviour.bad': 'exit:3' },
    });
    await provider.createPod(pod, call());
    const status = await waitForStatus(provider, pod, s =>
      Boolean(s.containerStatuses?.find(c => c.name === 'bad')?.state?.terminated),
    );
    expect(status.containerStatuses?.find(c => c.name === 'good')?.state?.running).toBeDefined();
    expect(status.phase).toBe('Running');
  });

  it('logs one line per start of a container without a command, and keeps the previous run', async () => {
    const provider = mock();
    const pod = makePod('logs', [sh('app', 'echo run; exit 1')], { restartPolicy: 'Always' });
    await provider.createPod(pod, call());
    await waitForStatus(provider, pod, s => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    const options = { timestamps: false, follow: false, previous: true, ...call() };
    const ref = { namespace: 'default', name: 'logs' };
    const previous = [];
    for await (const item of await provider.getContainerLogs(ref, 'app', options)) previous.push(item);
    expect(previous).toMatchObject([{ text: 'run' }]);

    const quiet = makePod('quiet', [{ name: 'app' }]);
    await provider.createPod(quiet, call());
    await running(provider, quiet);
    const quietRef = { namespace: 'default', name: 'quiet' };
    await expect(provider.getContainerLogs(quietRef, 'app', options)).rejects.toSatisfy(isInvalidInput);
    const lines = [];
    for await (const item of await provider.getContainerLogs(quietRef, 'app', {
      ...options,
      previous: false,
    })) {
      lines.push(item);
    }
    expect(lines).toMatchObject([{ text: 'mock: container app started (restart 0)', stream: 'stdout' }]);
  });
});

describe('MockProvider activeDeadlineSeconds', () => {
  it('fails the pod with DeadlineExceeded once an updated deadline passes', async () => {
    const provider = mock();
    const pod = makePod('deadline', [sh('app', 'sleep 60')]);
    await provider.createPod(pod, call());
    await running(provider, pod);
    await provider.updatePod({ ...pod, spec: { ...pod.spec!, activeDeadlineSeconds: 0.05 } }, call());
    const status = await waitForStatus(provider, pod, s => s.phase === 'Failed');
    expect(status.reason).toBe('DeadlineExceeded');
    expect(status.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'DeadlineExceeded',
    });
  });
});
