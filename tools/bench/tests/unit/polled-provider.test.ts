import type { V1Pod } from '@kubernetes/client-node';
import { ProviderRuntime } from '@vkubelet/provider-kit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { PolledCloud, type CloudTask, type PolledCloudOptions } from '../../src/polled-cloud.js';
import { parsePolledSettings, PolledBackend } from '../../src/polled-provider.js';
import { readsInWindow } from '../../src/polling.js';

const dir = mkdtempSync(join(tmpdir(), 'vkubelet-bench-polled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signal = () => ({ signal: AbortSignal.timeout(10_000) });
const pod = (i: number): V1Pod => ({
  metadata: { namespace: 'ns', name: `p-${i}`, uid: `uid-${i}` },
  spec: { containers: [{ name: 'app', image: 'img' }] },
});

/** A cloud without startup delay or round trip, and the requests it saw as `op:tasks`. */
function instantCloud(overrides: Partial<PolledCloudOptions> = {}): { cloud: PolledCloud; seen: string[] } {
  const seen: string[] = [];
  const cloud = new PolledCloud({
    startupDelayMs: 0,
    requestLatencyMs: 0,
    describeLimit: 100,
    onRequest: (op, tasks) => seen.push(`${op}:${tasks}`),
    ...overrides,
  });
  return { cloud, seen };
}

describe('PolledCloud', () => {
  it('runs tasks PENDING and describes them RUNNING once the startup delay is over', async () => {
    let now = 1_000;
    const cloud = new PolledCloud({
      startupDelayMs: 500,
      requestLatencyMs: 0,
      describeLimit: 100,
      now: () => now,
    });
    const task = await cloud.run('uid-1', '{}');
    expect(task.status).toBe('PENDING');
    expect((await cloud.describe([task.id]))[0]).toMatchObject({ status: 'PENDING', createdAt: 1_000 });
    now = 1_500;
    expect((await cloud.describe([task.id]))[0]).toMatchObject({ status: 'RUNNING', startedAt: 1_500 });
  });

  it('answers RunTask with PENDING even when the task is already running', async () => {
    const cloud = instantCloud().cloud;
    const task = await cloud.run('uid-1', '{}');
    expect(task.status).toBe('PENDING');
    expect((await cloud.describe([task.id]))[0]?.status).toBe('RUNNING');
  });

  it('refuses a describe of more tasks than its limit, counts every request and reports it', async () => {
    const { cloud, seen } = instantCloud({ describeLimit: 2 });
    const a = await cloud.run('a', '{}');
    const b = await cloud.run('b', '{}');
    await expect(cloud.describe(['x', 'y', 'z'])).rejects.toThrow(/at most 2/);
    expect((await cloud.describe([b.id, 'gone'])).map(t => t.id)).toEqual([b.id]);
    expect(a.id).not.toBe(b.id);
    expect(seen).toEqual(['run:1', 'run:1', 'describe:2']);
    expect(cloud.requests.describe).toBe(1);
  });

  it('stops tasks, finds them by pod UID and lists what runs', async () => {
    const { cloud, seen } = instantCloud();
    const a = await cloud.run('a', '{"a":1}');
    await cloud.run('b', '{}');
    expect((await cloud.list('a')).map(t => t.id)).toEqual([a.id]);
    await cloud.stop(a.id);
    await cloud.stop(a.id);
    expect(await cloud.list('a')).toEqual([]);
    expect(await cloud.describe([a.id])).toEqual([]);
    expect((await cloud.list()).map(t => t.uid)).toEqual(['b']);
    expect(cloud.requests).toEqual({ run: 2, describe: 1, stop: 2, list: 3 });
    expect(seen).toEqual(['run:1', 'run:1', 'list:1', 'stop:1', 'stop:1', 'list:0', 'describe:1', 'list:1']);
  });

  it('waits the simulated round trip on every request', async () => {
    const cloud = new PolledCloud({ startupDelayMs: 0, requestLatencyMs: 30, describeLimit: 100 });
    const started = performance.now();
    await cloud.run('a', '{}');
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });
});

describe('PolledBackend on the provider runtime', () => {
  let runtime: ProviderRuntime<CloudTask> | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  const start = async (cloud: PolledCloud, batchSize = 100) => {
    runtime = new ProviderRuntime({
      backend: new PolledBackend(cloud),
      hostIP: '127.0.0.1',
      refresh: { intervalMs: 20, batchSize },
    });
    await runtime.start();
    return runtime;
  };

  it('turns 250 pods Running with 3 describe requests per pass and pushes each change once', async () => {
    const cloud = instantCloud().cloud;
    const provider = await start(cloud);
    const running = new Map<string, number>();
    provider.notifyPods(p => {
      const name = p.metadata!.name!;
      if (p.status?.phase === 'Running') running.set(name, (running.get(name) ?? 0) + 1);
    });
    for (let i = 0; i < 250; i++) await provider.createPod(pod(i), signal());
    expect(cloud.requests.run).toBe(250);
    await expect.poll(() => running.size, { timeout: 5_000 }).toBe(250);
    const status = await provider.getPodStatus('ns', 'p-7');
    expect(status.phase).toBe('Running');
    expect(status.podIP).toMatch(/^10\./);
    expect(status.hostIP).toBe('127.0.0.1');
    const describes = cloud.requests.describe;
    await expect
      .poll(() => cloud.requests.describe, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(describes + 6);
    expect(cloud.requests.describe % 3).toBe(0);
    // Passes that find nothing new push nothing.
    expect(new Set(running.values())).toEqual(new Set([1]));
  });

  it('does not run a pod twice when its create is retried, and deletes it from the backend', async () => {
    const cloud = instantCloud().cloud;
    const provider = await start(cloud);
    await provider.createPod(pod(1), signal());
    await provider.createPod(pod(1), signal());
    expect(cloud.requests.run).toBe(1);
    await provider.deletePod(pod(1), signal());
    expect(await cloud.list()).toEqual([]);
    await expect(provider.getPodStatus('ns', 'p-1')).rejects.toThrow(/not found/);
  });

  it('adopts the tasks the backend runs after a restart, with their pods', async () => {
    const cloud = instantCloud().cloud;
    const first = await start(cloud);
    await first.createPod(pod(3), signal());
    await first.close();
    const second = await start(cloud);
    expect((await second.getPods()).map(p => p.metadata?.uid)).toEqual(['uid-3']);
    expect(cloud.requests.run).toBe(1);
  });

  it('fails the pass of a batch larger than the backend allows', async () => {
    const cloud = instantCloud().cloud;
    const provider = await start(cloud, 101);
    for (let i = 0; i < 101; i++) await provider.createPod(pod(i), signal());
    // Several passes' worth: each one's request is refused before it reaches the backend.
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(cloud.requests.describe).toBe(0);
    expect((await provider.getPodStatus('ns', 'p-0')).phase).toBe('Pending');
  });
});

describe('parsePolledSettings', () => {
  it("splits the backend's settings from the mock's and fills defaults", () => {
    const settings = parsePolledSettings({ pods: '20000', startupDelayMs: 0, requestLog: '/tmp/r.jsonl' });
    expect(settings).toMatchObject({
      requestLog: '/tmp/r.jsonl',
      requestLatencyMs: 10,
      batchSize: 100,
      concurrency: 1,
      refreshIntervalMs: 5_000,
    });
    expect(settings.mock.pods).toBe('20000');
  });

  it('refuses bad values', () => {
    expect(() => parsePolledSettings({ batchSize: 0 })).toThrow(/batchSize must be an integer of at least 1/);
    expect(() => parsePolledSettings({ requestLatencyMs: 'fast' })).toThrow(/requestLatencyMs/);
    expect(() => parsePolledSettings({ requestLog: 3 })).toThrow(/requestLog must be a path/);
    expect(() => parsePolledSettings({ unknown: 1 })).toThrow(/unknown/);
  });
});

describe('readsInWindow', () => {
  it('counts describe requests and the pods they named inside the window', () => {
    const path = join(dir, 'requests.jsonl');
    writeFileSync(
      path,
      [
        { t: 999, op: 'describe', tasks: 100 },
        { t: 1_000, op: 'describe', tasks: 100 },
        { t: 1_500, op: 'run', tasks: 1 },
        { t: 1_999, op: 'describe', tasks: 50 },
        { t: 2_000, op: 'describe', tasks: 100 },
      ]
        .map(e => JSON.stringify(e))
        .join('\n'),
    );
    expect(readsInWindow(path, 1_000, 2_000)).toEqual({ requests: 2, pods: 150 });
    expect(readsInWindow(join(dir, 'none.jsonl'), 0, 1)).toEqual({ requests: 0, pods: 0 });
  });
});
