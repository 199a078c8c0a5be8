import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { readManifest, tagsOf, workspacePackageDirs } from '../../src/manifest.ts';
import { misplacedTests } from '../../src/test-suites.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

describe('this repository', () => {
  it('keeps every test file in a suite folder, so an Nx target runs it', () => {
    const misplaced = workspacePackageDirs(root).flatMap(dir =>
      misplacedTests(`${root}${dir}`, tagsOf(readManifest(`${root}${dir}`))).map(file => `${dir}/${file}`),
    );
    expect(
      misplaced,
      'move these under tests/unit, tests/integration, tests/conformance or tests/e2e (CONTRIBUTING.md)',
    ).toEqual([]);
  });

  it('lists its packages from the root workspaces', () => {
    expect(workspacePackageDirs(root)).toEqual(
      expect.arrayContaining(['packages/core', 'packages/provider-kit', 'tools/workspace', 'e2e']),
    );
  });
});
