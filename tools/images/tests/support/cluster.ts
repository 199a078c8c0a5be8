import type { ControlPlane } from '@vkubelet/testenv';
import { vi } from 'vitest';

/** kubectl as admin; throws with stderr when it fails. */
export async function kubectlOk(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Waits for the node's Ready condition to be True; `describe` says what the agent printed meanwhile. */
export async function waitNodeReady(cp: ControlPlane, node: string, describe: () => string): Promise<void> {
  await vi.waitFor(
    async () => {
      const result = await cp.kubectl([
        'get',
        'node',
        node,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      if (result.stdout !== 'True')
        throw new Error(
          `node ${node} not Ready (${result.stdout || result.stderr.trim()}); agent output:\n${describe().slice(-3000)}`,
        );
    },
    { timeout: 90_000, interval: 500 },
  );
}

/** A pod pinned to the virtual node, tolerating its provider taint. */
export function podOnNode(node: string, name: string, container: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', ...container }],
    },
  });
}

/** Waits for the pod's phase; returns the pod as JSON. */
export async function waitPodPhase(
  cp: ControlPlane,
  name: string,
  phase: string,
  describe: () => string,
): Promise<{ metadata: { uid: string }; status: { phase: string; podIP?: string } }> {
  return vi.waitFor(
    async () => {
      const pod = JSON.parse(await kubectlOk(cp, ['get', 'pod', name, '-o', 'json'])) as {
        metadata: { uid: string };
        status: { phase: string; podIP?: string; message?: string };
      };
      if (pod.status.phase !== phase) {
        throw new Error(
          `pod ${name} is ${pod.status.phase} ${pod.status.message ?? ''}; agent output:\n${describe().slice(-3000)}`,
        );
      }
      return pod;
    },
    { timeout: 90_000, interval: 500 },
  );
}
