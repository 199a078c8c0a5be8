import { subscribe, unsubscribe } from 'node:diagnostics_channel';

import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { NomadEmulator } from '@vkubelet/nomad-emulator';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { expect } from 'vitest';

import type { NomadConfigInput } from '../../src/config.js';
import { createNomadProvider } from '../../src/plugin.js';
import type { NomadProvider } from '../../src/provider.js';

export const NODE = 'vk-nomad-it';

/** A provider for `emulator` with the management token unless the config says otherwise. */
export function nomadProvider(
  emulator: NomadEmulator,
  config: NomadConfigInput = {},
  nodeName = NODE,
): Promise<NomadProvider> {
  const env = emulator.env();
  return createNomadProvider(fakeProviderContext({ nodeName, internalIP: '127.0.0.1' }), {
    config: {
      address: env['NOMAD_ADDR'],
      token: env['NOMAD_TOKEN'],
      restart: { attempts: 3, delayMs: 100, intervalMs: 5_000 },
      blockingWaitMs: 10_000,
      ...config,
    },
  });
}

let uids = 0;

export function testPod(name: string, containers: V1Container[], spec: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { namespace: 'default', name, uid: `uid-${name}-${++uids}` },
    spec: { nodeName: NODE, containers, ...spec },
  };
}

export const shell = (name: string, script: string): V1Container => ({
  name,
  image: 'busybox:1.36',
  command: ['sh', '-c', script],
});

export const call = () => ({ signal: AbortSignal.timeout(30_000) });

/** Waits until the pod's status satisfies `done`; returns that status. */
export async function statusWhen(
  provider: NomadProvider,
  pod: V1Pod,
  done: (status: V1PodStatus) => boolean,
  timeout = 15_000,
): Promise<V1PodStatus> {
  let last: V1PodStatus | undefined;
  await expect
    .poll(
      async () => {
        last = await provider.getPodStatus(pod.metadata!.namespace!, pod.metadata!.name!, call());
        return done(last);
      },
      { timeout, interval: 50 },
    )
    .toBe(true);
  return last!;
}

export interface RecordedRequest {
  method: string;
  path: string;
  at: number;
}

/** Records the HTTP requests this process makes through undici (the provider's client) while active. */
export function recordRequests(): { requests: RecordedRequest[]; stop(): void } {
  const requests: RecordedRequest[] = [];
  const onCreate = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string } };
    requests.push({ method: request.method, path: request.path, at: Date.now() });
  };
  subscribe('undici:request:create', onCreate);
  return { requests, stop: () => unsubscribe('undici:request:create', onCreate) };
}
