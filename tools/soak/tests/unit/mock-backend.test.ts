import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound, isTransient, noopLogger } from '@vkubelet/provider-kit';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

import { RemoteMockProvider } from '../../src/backend/mock/client.js';
import { CRASH_HEADER } from '../../src/backend/mock/protocol.js';
import { MockBackendServer } from '../../src/backend/mock/server.js';
import { Rng } from '../../src/random.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function backend(): Promise<{ server: MockBackendServer; url: string; provider: RemoteMockProvider }> {
  const server = new MockBackendServer({
    nodeName: 'vk',
    internalIP: '127.0.0.1',
    settings: { startupDelayMs: 0 },
  });
  const url = await server.listen();
  closers.push(() => server.close());
  const provider = new RemoteMockProvider({ url, agent: 'a1', crashOnDemand: false, logger: noopLogger });
  closers.push(() => provider.close());
  return { server, url, provider };
}

const pod = (name: string, uid = `uid-${name}`): V1Pod => ({
  metadata: { name, namespace: 'default', uid },
  spec: { containers: [{ name: 'main', image: 'img' }] },
});

const options = () => ({ signal: AbortSignal.timeout(5_000) });

const until = async (check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 10));
  }
};

describe('the mock backend in its own process, and the provider that reaches it', () => {
  it('runs the lifecycle remotely, records creations and deletions by UID, and notifies', async () => {
    const { server, provider } = await backend();
    const seen: V1Pod[] = [];
    provider.notifyPods(p => seen.push(p));
    await provider.createPod(pod('web'), options());
    await provider.createPod(pod('web'), options()); // a retry: idempotent by UID
    await until(() => seen.some(p => p.metadata?.name === 'web' && p.status?.phase === 'Running'));
    expect((await provider.getPod('default', 'web', options())).status?.phase).toBe('Running');
    expect((await provider.getPods(options())).map(p => p.metadata?.uid)).toEqual(['uid-web']);
    await provider.createPod(pod('web', 'uid-web-2'), options()); // same name, new pod: replaces
    await provider.deletePod(pod('web', 'uid-web-2'), options());
    await expect(provider.getPodStatus('default', 'web', options())).rejects.toSatisfy(isNotFound);
    expect(server.events().map(e => `${e.op} ${e.uid} ${e.agent}`)).toEqual([
      'created uid-web a1',
      'deleted uid-web a1',
      'created uid-web-2 a1',
      'deleted uid-web-2 a1',
    ]);
  });

  it('injects failures as TransientError, loses pods silently and marks crash points', async () => {
    const { server, url, provider } = await backend();
    const rng = new Rng(7);
    server.useRandom(rng);
    server.failCalls(1, 60_000);
    await expect(provider.createPod(pod('a'), options())).rejects.toSatisfy(isTransient);
    server.calm();
    await provider.createPod(pod('a'), options());
    await until(() => server.inventory()[0]?.phase === 'Running');
    const seen: V1Pod[] = [];
    provider.notifyPods(p => seen.push(p));
    await until(() => seen.length > 0);
    seen.length = 0;
    expect(server.loseRandomPod(rng)).toBe('default/a');
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    expect(server.inventory()).toEqual([]);
    expect(server.events().at(-1)).toMatchObject({ op: 'lost', uid: 'uid-a' });

    server.crashAfterNext('createPod');
    const answer = await request(`${url}/pods/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pod('b')),
    });
    await answer.body.dump();
    expect(answer.headers[CRASH_HEADER]).toBe('createPod');
    expect(server.crashed.createPod).toBe(1);
  });

  it('a hung call outlives the caller: done first (answered late) or done late', async () => {
    const { server, provider } = await backend();
    server.hangNextCall('answer', 500);
    await expect(provider.createPod(pod('slow'), { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(server.inventory().map(p => p.pod)).toEqual(['default/slow']);
    server.hangNextCall('apply', 300);
    await expect(provider.deletePod(pod('slow'), { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(server.inventory()).toHaveLength(1);
    await until(() => server.inventory().length === 0);
  });
});
