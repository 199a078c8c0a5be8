import { describe, expect, it } from 'vitest';

import { isPrunable, REPO_ROOT, runtimeWorkspaces, workspaceDirs } from '../../src/index.js';

describe('isPrunable', () => {
  it('drops maps, TypeScript, markdown and build info', () => {
    for (const name of [
      'index.js.map',
      'index.d.ts',
      'index.d.mts',
      'types.d.cts',
      'src.ts',
      'README.md',
      'CHANGELOG.markdown',
      'tsconfig.lib.tsbuildinfo',
    ]) {
      expect(isPrunable(name), name).toBe(true);
    }
  });

  it('keeps code, data and every licence or notice file', () => {
    for (const name of [
      'index.js',
      'index.mjs',
      'index.cjs',
      'package.json',
      'cri.proto',
      'LICENSE',
      'LICENSE.md',
      'license.markdown',
      'NOTICE.md',
      'COPYING',
    ]) {
      expect(isPrunable(name), name).toBe(false);
    }
  });
});

describe('runtimeWorkspaces', () => {
  const lock = {
    packages: {
      '': { name: 'vkubelet' },
      'packages/core': { name: '@vkubelet/core' },
      'node_modules/@vkubelet/core': { link: true },
      'node_modules/zod': { name: 'zod' },
      'providers/cri': { name: '@vkubelet/provider-cri' },
    },
  };

  it('maps workspace names to directories from the lockfile, ignoring installed packages', () => {
    const dirs = workspaceDirs(lock);
    expect(dirs.get('@vkubelet/core')).toBe('packages/core');
    expect(dirs.get('@vkubelet/provider-cri')).toBe('providers/cri');
    expect(dirs.has('zod')).toBe(false);
  });

  it('follows production dependencies only: the CRI provider needs core and provider-kit, not its test tools', async () => {
    const { readFile } = await import('node:fs/promises');
    const dirs = workspaceDirs(JSON.parse(await readFile(`${REPO_ROOT}/package-lock.json`, 'utf8')));
    const needed = await runtimeWorkspaces(REPO_ROOT, '@vkubelet/provider-cri', dirs);
    expect([...needed].sort()).toEqual(['packages/core', 'packages/provider-kit', 'providers/cri']);
  });
});
