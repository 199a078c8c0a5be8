// Paths into the repository the stack runs from (src/ and dist/ sit at the same depth).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The built `virtual-kubelet` command (tools/scripts/start.sh builds it first). */
export const virtualKubeletCli = join(repoRoot, 'packages/core/dist/cli/main.js');
