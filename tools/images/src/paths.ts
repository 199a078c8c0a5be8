import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cacheRoot } from '@vkubelet/testenv';

/** The repository root (tools/images/{src,dist} → ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where builds put OCI archives and reports: `<repo>/dist/images` (git-ignored, never packed). */
export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'dist', 'images');

/** Image build state kept outside the repository: `<cache>/images` (buildah storage, staging). */
export function imagesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'images');
}

/** A binary from the repository's node_modules/.bin (tsc, node). */
export function repoBin(name: string): string {
  return join(REPO_ROOT, 'node_modules', '.bin', name);
}
