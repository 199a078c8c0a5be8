import type { V1Pod } from '@kubernetes/client-node';
import type { ControlPlane } from '@vkubelet/testenv';
import { vi } from 'vitest';

/** kubectl on `cp`, with `input` on its stdin; throws with kubectl's stderr unless it exits 0. */
export async function kubectlOk(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

export async function getPod(cp: ControlPlane, name: string): Promise<V1Pod> {
  return JSON.parse(await kubectlOk(cp, ['get', 'pod', name, '-o', 'json'])) as V1Pod;
}

/** Waits until the pod reports `phase`; the error names the phase and message it had last. */
export function waitForPhase(
  cp: ControlPlane,
  name: string,
  phase: string,
  timeout = 60_000,
): Promise<V1Pod> {
  return vi.waitFor(
    async () => {
      const pod = await getPod(cp, name);
      if (pod.status?.phase !== phase) {
        throw new Error(`${name}: phase ${pod.status?.phase} ${pod.status?.message ?? ''}`);
      }
      return pod;
    },
    { timeout, interval: 300 },
  );
}
