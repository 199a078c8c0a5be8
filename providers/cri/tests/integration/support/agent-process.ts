/**
 * An agent process that dies at a chosen containerd step, for the restart tests:
 *
 *   agent-process.ts <config json> <pod json> <fault>
 *
 * It creates the provider on the config, then the pod, and SIGKILLs itself at the fault:
 * `after:<method>` once that CriClient call has returned (runPodSandbox, createContainer, ...), or
 * `during:<method>:<ms>` that long after the call was sent, while containerd works on it. It exits
 * with code 3 if the pod was created without reaching the fault.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';

import { CriClient } from '../../../src/cri/client.js';
import { plugin } from '../../../src/plugin.js';
import { CriProvider } from '../../../src/provider.js';

const [configJson, podJson, fault] = process.argv.slice(2);
if (!configJson || !podJson || !fault) throw new Error('usage: agent-process.ts <config> <pod> <fault>');
const [when, method, delay] = fault.split(':') as ['after' | 'during', keyof CriClient, string?];

const die = (): void => {
  process.kill(process.pid, 'SIGKILL');
};
const prototype = CriClient.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
const original = prototype[method]!;
prototype[method] = function (this: CriClient, ...args: unknown[]) {
  const answer = original.apply(this, args);
  if (when === 'during') setTimeout(die, Number(delay ?? 20));
  else void answer.then(die, die);
  return answer;
};

const provider = await CriProvider.create(
  fakeProviderContext({ nodeName: 'cri-test-node', internalIP: '127.0.0.1' }),
  plugin.parseConfig(JSON.parse(configJson)),
);
await provider.createPod(JSON.parse(podJson) as V1Pod, { signal: AbortSignal.timeout(60_000) });
// The fault may lie in the sync that follows the create (CreateContainer, StartContainer).
await new Promise(resolve => setTimeout(resolve, 30_000));
process.exit(3);
