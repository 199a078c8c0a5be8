import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { readManifest, tagsOf, workspacePackageDirs } from '../../src/manifest.ts';
import { misplacedTests, TEST_SUITES } from '../../src/test-suites.ts';

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

  it('has no package script named like an inferred target, which would replace it', () => {
    // A package.json script becomes an Nx target of that name and wins over the inferred one: a
    // `"test": "vitest run"` would run every suite, integration included, as the cached unit target.
    const inferred = new Set([...TEST_SUITES.map(suite => suite.target), 'api-report', 'package-check']);
    const shadowing = workspacePackageDirs(root).flatMap(dir =>
      Object.keys(readManifest(`${root}${dir}`).scripts ?? {})
        .filter(script => inferred.has(script))
        .map(script => `${dir}: "${script}"`),
    );
    expect(shadowing, 'remove these scripts: Nx infers the targets from tests/ (CONTRIBUTING.md)').toEqual(
      [],
    );
  });

  it('lists its packages from the root workspaces', () => {
    expect(workspacePackageDirs(root)).toEqual(
      expect.arrayContaining(['packages/core', 'packages/provider-kit', 'tools/workspace', 'e2e']),
    );
  });
});
