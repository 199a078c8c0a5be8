import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { startEciEmulator, type EciEmulator } from '@vkubelet/eci-emulator';
import { fakeProviderContext, type FakeProviderContext } from '@vkubelet/provider-kit/testing';
import { randomUUID } from 'node:crypto';

import type { EciConfigInput } from '../../src/config.js';
import { createEciProvider } from '../../src/plugin.js';
import type { EciProvider } from '../../src/provider.js';

export const SECURITY_GROUP = 'sg-vkubelet0001';
export const VSWITCH = 'vsw-vkubelet0001';

/** An emulator with the network IDs the test configs name; quick state transitions. */
export function startEmulator(options: Parameters<typeof startEciEmulator>[0] = {}): Promise<EciEmulator> {
  return startEciEmulator({
    securityGroupIds: [SECURITY_GROUP],
    vSwitchIds: [VSWITCH],
    timing: { schedulingMs: 20, pendingMs: 20, restartBackoffMs: 50 },
    ...options,
  });
}

/** The config of a provider for `emulator`. */
export function configFor(emulator: EciEmulator, overrides: Partial<EciConfigInput> = {}): EciConfigInput {
  return {
    region: emulator.regionId,
    accessKeyId: emulator.accessKeyId,
    accessKeySecret: emulator.accessKeySecret,
    endpoint: emulator.endpoint,
    securityGroupId: SECURITY_GROUP,
    vSwitchIds: [VSWITCH],
    clusterName: 'test',
    statusIntervalMs: 100,
    logPollIntervalMs: 200,
    ...overrides,
  };
}

/** A provider for `emulator` with a fake context (its events land in `context.recordedEvents`). */
export async function eciProvider(
  emulator: EciEmulator,
  overrides: Partial<EciConfigInput> = {},
  context: FakeProviderContext = fakeProviderContext({ nodeName: 'vk-eci-test' }),
): Promise<{ provider: EciProvider; context: FakeProviderContext }> {
  const provider = await createEciProvider(context, {
    config: configFor(emulator, overrides),
    backoffMs: () => 10,
  });
  return { provider, context };
}

/** A pod bound to the test node running `script` in busybox (the emulator runs the mock's shell). */
export function shellPod(name: string, script: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return pod(name, [{ name: 'app', image: 'busybox', command: ['sh', '-c', script] }], extra);
}

export function pod(name: string, containers: V1Container[], extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'default', name, uid: randomUUID() },
    spec: { nodeName: 'vk-eci-test', containers, ...extra },
  };
}

export const call = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(20_000) });

/** Polls `provider.getPod` until `check` passes. */
export async function waitForPod(
  provider: EciProvider,
  subject: V1Pod,
  check: (pod: V1Pod) => boolean,
  timeoutMs = 10_000,
): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await provider.getPod(subject.metadata!.namespace!, subject.metadata!.name!, call());
    if (check(current)) return current;
    if (Date.now() > deadline) throw new Error(`pod never matched: ${JSON.stringify(current.status)}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
