import type { V1Pod } from '@kubernetes/client-node';
import type { ControlPlane } from '@vkubelet/testenv';

export interface Kubectl {
  /** kubectl with `args` (and `input` on stdin): code, stdout, stderr. */
  run(args: string[], input?: string): ReturnType<ControlPlane['kubectl']>;
  /** Its stdout; an Error naming the command and its stderr when it exits non-zero. */
  ok(args: string[], input?: string): Promise<string>;
  /** `kubectl get pod <name> -o json`. */
  pod(name: string): Promise<V1Pod>;
}

/** kubectl as the cluster admin of the control plane `cp()` returns (started in a beforeAll). */
export function kubectlOf(cp: () => ControlPlane): Kubectl {
  const run: Kubectl['run'] = (args, input) => cp().kubectl(args, input === undefined ? {} : { input });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const result = await run(args, input);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  return { run, ok, pod: async name => JSON.parse(await ok(['get', 'pod', name, '-o', 'json'])) as V1Pod };
}
