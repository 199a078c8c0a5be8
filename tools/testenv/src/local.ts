// The long-lived local control plane behind `vkubelet-testenv up` and tools/scripts/start.sh.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot } from './binaries.js';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';

export interface LocalControlPlane {
  readonly controlPlane: ControlPlane;
  /** The admin kubeconfig at its stable path (removed again by stop()). */
  readonly kubeconfigPath: string;
  stop(): Promise<void>;
}

export function defaultLocalKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'local', 'kubeconfig');
}

/**
 * Starts a control plane and copies its admin kubeconfig to a stable path, so a shell can export
 * KUBECONFIG once. The caller keeps the process alive and calls stop() on shutdown.
 */
export async function startLocalControlPlane(
  options: ControlPlaneOptions & { kubeconfigPath?: string } = {},
): Promise<LocalControlPlane> {
  const { kubeconfigPath = defaultLocalKubeconfigPath(), ...controlPlaneOptions } = options;
  const controlPlane = await startControlPlane({ name: 'local', ...controlPlaneOptions });
  try {
    mkdirSync(dirname(kubeconfigPath), { recursive: true });
    copyFileSync(controlPlane.adminKubeconfigPath, kubeconfigPath);
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  return {
    controlPlane,
    kubeconfigPath,
    async stop() {
      await controlPlane.stop();
      rmSync(kubeconfigPath, { force: true });
    },
  };
}
