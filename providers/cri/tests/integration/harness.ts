import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { startContainerd, type Containerd } from '@vkubelet/containerd';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';

import type { CriConfig } from '../../src/config.js';
import { plugin } from '../../src/plugin.js';
import { CriProvider } from '../../src/provider.js';

export interface Harness {
  containerd: Containerd;
  provider: CriProvider;
  nodeName: string;
  configMaps: Map<string, V1ConfigMap>;
  secrets: Map<string, V1Secret>;
  updates: V1Pod[];
  newProvider(): Promise<CriProvider>;
  stop(): Promise<void>;
}

/** The provider's config for a private containerd, with a short sync interval and back-off. */
export function testConfig(containerd: Containerd): CriConfig {
  return plugin.parseConfig({
    runtimeEndpoint: containerd.endpoint,
    podRoot: containerd.podRoot,
    cgroupParent: containerd.cgroupParent,
    statusIntervalMs: 200,
    backoff: { initialMs: 500, maxMs: 2_000 },
  });
}

/** A private containerd plus a provider on it, with an in-memory ResourceLister. */
export async function startHarness(): Promise<Harness> {
  const containerd = await startContainerd();
  const nodeName = 'cri-test-node';
  const updates: V1Pod[] = [];
  const context = fakeProviderContext({ nodeName, internalIP: '127.0.0.1' });
  const { configMaps, secrets } = context;
  const config = testConfig(containerd);
  const newProvider = async (): Promise<CriProvider> => {
    const provider = await CriProvider.create(context, config);
    provider.notifyPods(pod => updates.push(pod));
    return provider;
  };
  const provider = await newProvider();
  return {
    containerd,
    provider,
    nodeName,
    configMaps,
    secrets,
    updates,
    newProvider,
    async stop() {
      await provider.close();
      await containerd.stop();
    },
  };
}

let counter = 0;
export function testPod(
  name: string,
  spec: Partial<NonNullable<V1Pod['spec']>> & Pick<NonNullable<V1Pod['spec']>, 'containers'>,
): V1Pod {
  counter++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: 'default',
      name,
      uid: `00000000-0000-4000-8000-${String(Date.now() % 1e8).padStart(8, '0')}${String(counter).padStart(4, '0')}`,
    },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, ...spec },
  };
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

export const signal = (): AbortSignal => AbortSignal.timeout(60_000);
export const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'vk-cri-test-'));
