import type { KubeClient } from '@vkubelet/core';
import type { ControlPlane } from '@vkubelet/testenv';

/**
 * How an agent authenticates:
 * - `node`: user `system:node:<node>` in group `system:nodes`, so the Node authorizer and the
 *   NodeRestriction admission plugin apply, as for a kubelet.
 * - `node-rbac`: the same user name without the group, bound by RBAC to the `system:node` ClusterRole.
 *   For agents NodeRestriction refuses (upstream v1.14.1 always sets labels a node may not set on
 *   itself; kwok lists every node at start-up). The user name is the same, so requests are counted
 *   the same way from the audit log.
 */
export type IdentityMode = 'node' | 'node-rbac';

export const IDENTITY_MODES: readonly IdentityMode[] = ['node', 'node-rbac'];

export function describeIdentity(mode: IdentityMode): string {
  return mode === 'node'
    ? 'node identity (group system:nodes: Node authorizer and NodeRestriction)'
    : 'node user name without the system:nodes group, RBAC ClusterRole system:node (no NodeRestriction)';
}

/** The user name an agent for `nodeName` runs as, in both modes. */
export function nodeUserName(nodeName: string): string {
  return `system:node:${nodeName}`;
}

/** Writes a kubeconfig for the agent of `nodeName` in the given mode, binding RBAC where needed. */
export async function agentKubeconfig(
  plane: ControlPlane,
  admin: KubeClient,
  nodeName: string,
  mode: IdentityMode,
): Promise<string> {
  if (mode === 'node') return plane.nodeKubeconfig(nodeName);
  const user = nodeUserName(nodeName);
  const name = `vkubelet-bench-${nodeName}`;
  try {
    await admin.requestJson('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
  } catch (err) {
    // A restarted agent binds again: the binding is already there.
    if ((err as { code?: number }).code !== 409) throw err;
  }
  return plane.userKubeconfig(user);
}
