import type { V1Pod } from '@kubernetes/client-node';
import type { ControlPlane, KubectlResult } from '@vkubelet/testenv';

export interface KubectlHelpers {
  /** kubectl as the cluster admin; `input` goes to its stdin. */
  kubectl(args: string[], input?: string, timeoutMs?: number): Promise<KubectlResult>;
  /** kubectl that must exit 0: its stdout, else an error with its stderr. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** `kubectl get pod <name> -o json` in the default namespace. */
  getPod(name: string): Promise<V1Pod>;
}

/**
 * kubectl helpers for a suite's control plane. `controlPlane` is read at each call, so the helpers can
 * be made at the top of a file whose `beforeAll` starts the control plane.
 */
export function kubectlHelpers(controlPlane: () => ControlPlane): KubectlHelpers {
  const kubectl: KubectlHelpers['kubectl'] = (args, input, timeoutMs) =>
    controlPlane().kubectl(args, {
      ...(input === undefined ? {} : { input }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  const kubectlOk: KubectlHelpers['kubectlOk'] = async (args, input) => {
    const result = await kubectl(args, input);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  const getPod: KubectlHelpers['getPod'] = async name =>
    JSON.parse(await kubectlOk(['get', 'pod', name, '-o', 'json'])) as V1Pod;
  return { kubectl, kubectlOk, getPod };
}
