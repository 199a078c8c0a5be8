import { LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './labels.js';
import type { CriApi, RpcOptions } from './cri/client.js';
import type { ContainerState, PodSandboxState } from './cri/types.js';

/** What the runtime holds for one pod. */
export interface CriPodInventory {
  uid: string;
  namespace: string;
  name: string;
  sandboxes: Array<{ id: string; state: PodSandboxState; attempt: number }>;
  containers: Array<{ id: string; sandboxId: string; name: string; attempt: number; state: ContainerState }>;
}

/**
 * Every sandbox and container the runtime holds for a node's pods, by pod UID, straight from the
 * runtime (not from any agent's memory): what a soak or an operator checks for duplicates (two
 * sandboxes, two running instances of a container) and orphans (a UID the API no longer has).
 */
export async function criInventory(
  cri: Pick<CriApi, 'listPodSandbox' | 'listContainers'>,
  nodeName: string,
  options: RpcOptions = {},
): Promise<Map<string, CriPodInventory>> {
  const selector = { [LABEL_NODE]: nodeName };
  const [sandboxes, containers] = await Promise.all([
    cri.listPodSandbox(selector, options),
    cri.listContainers({ label_selector: selector }, options),
  ]);
  const pods = new Map<string, CriPodInventory>();
  const podOf = (labels: Record<string, string>): CriPodInventory => {
    const uid = labels[LABEL_POD_UID] ?? '';
    let pod = pods.get(uid);
    if (!pod) {
      pod = {
        uid,
        namespace: labels[LABEL_POD_NAMESPACE] ?? '',
        name: labels[LABEL_POD_NAME] ?? '',
        sandboxes: [],
        containers: [],
      };
      pods.set(uid, pod);
    }
    return pod;
  };
  for (const s of sandboxes) {
    podOf(s.labels).sandboxes.push({ id: s.id, state: s.state, attempt: s.metadata.attempt });
  }
  for (const c of containers) {
    podOf(c.labels).containers.push({
      id: c.id,
      sandboxId: c.pod_sandbox_id,
      name: c.metadata.name,
      attempt: c.metadata.attempt,
      state: c.state,
    });
  }
  return pods;
}
