// Where the control-plane binaries built by k8s/build.sh live, and a clear error when they don't.
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager';
export type BinaryName = ComponentName | 'kubectl';

export const buildScriptPath = resolve(dirname(fileURLToPath(import.meta.url)), '../k8s/build.sh');
const goModPath = resolve(dirname(fileURLToPath(import.meta.url)), '../k8s/go.mod');

export class MissingBinaryError extends Error {
  override readonly name = 'MissingBinaryError';
}

/** The cache root, as build.sh computes it: $VKUBELET_CACHE, else $XDG_CACHE_HOME/vkubelet, else ~/.cache/vkubelet. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['VKUBELET_CACHE'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'vkubelet');
}

/** The Kubernetes version pinned by the wrapper module's go.mod (e.g. "v1.36.3"). */
export function pinnedKubernetesVersion(goMod: string = readFileSync(goModPath, 'utf8')): string {
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+\S*)\s*$/m.exec(goMod);
  if (!match?.[1]) throw new Error(`no "k8s.io/kubernetes vX.Y.Z" requirement in ${goModPath}`);
  return match[1];
}

/**
 * The directory holding the binaries for the pinned version. The version-named directory is
 * preferred over `k8s/current`, which only tells which build finished last.
 */
export function binaryDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = join(cacheRoot(env), 'k8s');
  const pinned = join(root, pinnedKubernetesVersion());
  if (isExecutable(join(pinned, 'kube-apiserver'))) return pinned;
  try {
    const current = readFileSync(join(root, 'current'), 'utf8').trim();
    if (current) return current;
  } catch {
    // No build has finished yet: fall through to the pinned path so the error names it.
  }
  return pinned;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of one binary; throws a MissingBinaryError with the build hint when it is absent. */
export function binaryPath(name: BinaryName, dir: string = binaryDir()): string {
  const path = join(dir, name);
  if (!isExecutable(path)) {
    throw new MissingBinaryError(
      `${name} not found or not executable at ${path}; build the control plane first: bash ${buildScriptPath}`,
    );
  }
  return path;
}
