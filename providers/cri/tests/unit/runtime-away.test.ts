import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage, isTransient } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { plugin } from '../../src/plugin.js';
import type { CriProvider } from '../../src/provider.js';
import { Agent, busyboxPod, NODE } from './support/agent.js';
import { GrpcRuntime } from './support/grpc-runtime.js';
import { MemoryRuntime } from './support/memory-runtime.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), 'vk-cri-away-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const runtime = new MemoryRuntime();
  const grpcRuntime = new GrpcRuntime(runtime, join(dir, 'containerd.sock'));
  cleanups.push(() => grpcRuntime.stop());
  const podRoot = join(dir, 'pods');
  const start = async (): Promise<{ provider: CriProvider; reported: V1Pod[] }> => {
    const config = { runtimeEndpoint: grpcRuntime.endpoint, podRoot, statusIntervalMs: 100 };
    const configPath = join(dir, 'cri.json');
    await writeFile(configPath, JSON.stringify(config));
    const provider = (await plugin.create(
      fakeProviderContext({ nodeName: NODE, configPath }),
    )) as CriProvider;
    cleanups.push(() => provider.close());
    const reported: V1Pod[] = [];
    provider.notifyPods(pod => reported.push(pod));
    return { provider, reported };
  };
  return { runtime, grpcRuntime, podRoot, start };
}

const call = (ms = 5_000) => ({ signal: AbortSignal.timeout(ms) });

describe('CRI provider while the runtime is away', () => {
  it('starts without the runtime, says why the node is not ready, and adopts once it appears', async () => {
    const { runtime, grpcRuntime, podRoot, start } = await setUp();
    // A pod an earlier agent left running.
    const earlier = new Agent(runtime, podRoot);
    const pod = busyboxPod('Always');
    await earlier.sync(await earlier.create(pod), 1);

    const { provider } = await start();
    await expect(provider.ping(call())).rejects.toThrow(
      new RegExp(
        `^the CRI runtime at ${grpcRuntime.endpoint} is not reachable \\(waiting for it since .*\\): .*`,
      ),
    );
    const early = await provider.getPods(call(300)).catch((error: unknown) => error);
    expect(isTransient(early)).toBe(true);
    expect(errorMessage(early)).toContain(grpcRuntime.endpoint);

    await grpcRuntime.start();
    const pods = await provider.getPods(call(10_000));
    expect(pods.map(p => p.metadata?.uid)).toEqual([pod.metadata!.uid]);
    expect(pods[0]?.status?.phase).toBe('Running');
    await provider.ping(call());
  });

  it('takes a runtime answering "server is not initialized yet" as away: waits, node not ready, then adopts', async () => {
    const { runtime, grpcRuntime, podRoot, start } = await setUp();
    const earlier = new Agent(runtime, podRoot);
    const pod = busyboxPod('Always');
    await earlier.sync(await earlier.create(pod), 1);

    // containerd restarting: listening, but its CRI server not serving until its recovery is done.
    grpcRuntime.initializing = true;
    await grpcRuntime.start();
    const { provider } = await start();
    await expect(provider.ping(call())).rejects.toThrow(/is not reachable .*server is not initialized yet/);
    const early = await provider.getPods(call(300)).catch((error: unknown) => error);
    expect(isTransient(early)).toBe(true);

    grpcRuntime.initializing = false;
    const pods = await provider.getPods(call(10_000));
    expect(pods.map(p => p.metadata?.uid)).toEqual([pod.metadata!.uid]);
    await provider.ping(call());

    // Again while running (a containerd restart): the node says why, pods keep their status.
    grpcRuntime.initializing = true;
    await vi.waitFor(
      () => expect(provider.ping(call())).rejects.toThrow(/is not reachable .*server is not initialized yet/),
      { timeout: 5_000 },
    );
    expect((await provider.getPodStatus('default', pod.metadata!.name!, call())).phase).toBe('Running');
    grpcRuntime.initializing = false;
    await vi.waitFor(() => provider.ping(call()), { timeout: 10_000 });
    expect(runtime.calls.filter(c => c.startsWith('CreateContainer'))).toHaveLength(1);
  });

  it('keeps pods as they were while the runtime is gone, and syncs them when it is back', async () => {
    const { runtime, grpcRuntime, start } = await setUp();
    await grpcRuntime.start();
    const { provider, reported } = await start();
    const pod = busyboxPod('Never');
    await provider.createPod(pod, call());
    await vi.waitFor(
      async () =>
        expect((await provider.getPodStatus('default', pod.metadata!.name!, call())).phase).toBe('Running'),
      { timeout: 5_000 },
    );

    grpcRuntime.stop();
    await vi.waitFor(() => expect(provider.ping(call())).rejects.toThrow(/is not reachable/), {
      timeout: 5_000,
    });
    const during = reported.length;
    await new Promise(resolve => setTimeout(resolve, 500));
    expect(reported.slice(during).map(p => p.status?.phase)).toEqual([]);

    // The container exited while the runtime was away; the provider sees it once it is back.
    const [c] = [...runtime.containers.values()];
    runtime.setContainer(c!.id, { state: 'CONTAINER_EXITED', exitCode: 0 });
    await grpcRuntime.start();
    await vi.waitFor(
      async () =>
        expect((await provider.getPodStatus('default', pod.metadata!.name!, call())).phase).toBe('Succeeded'),
      { timeout: 10_000 },
    );
    await provider.ping(call());
    expect(reported.map(p => p.status?.phase)).not.toContain('Failed');
  });
});
