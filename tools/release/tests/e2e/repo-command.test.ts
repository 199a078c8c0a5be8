import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { run } from '../../src/index.js';

/** After `npm ci` (whose postinstall builds the packages) the repository has the command itself. */
const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const env = { ...process.env, PATH: `${join(repo, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}` };

describe('virtual-kubelet in the repository', () => {
  it.each([
    ['node_modules/.bin/virtual-kubelet', ['version']],
    ['npx', ['--no-install', 'virtual-kubelet', 'version']],
  ] as const)('%s runs without asking a registry', async (command, args) => {
    const result = await run(command, args, { cwd: repo, env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Version: \d+\.\d+\.\d+, kubelet version: v1\.\d+\.\d+-vkubelet-/);
  });
});
