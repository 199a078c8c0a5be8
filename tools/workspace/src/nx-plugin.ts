/**
 * Nx plugin (nx.json `plugins`) that infers, from each package's files, the targets no Nx plugin
 * knows about: one target per test suite folder (`tests/unit` → `test`, `tests/integration`,
 * `tests/conformance`, `tests/e2e`), and for published packages `api-report` and `package-check`.
 * Caching, inputs and dependencies of these targets are policy and live in nx.json `targetDefaults`.
 * Nx loads this file with Node's type stripping: erasable TypeScript only.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { CreateNodes, TargetConfiguration } from '@nx/devkit';

import { isPublished, readManifest, tagsOf, workspacePackageDirs } from './manifest.ts';
import { suitesOf, type TestSuite } from './test-suites.ts';

const TOOLS = 'tools/workspace/src';

/** Where a suite's vitest run writes its JSON report (summed by test-summary.ts). */
export function vitestReportPath(target: string): string {
  return `test-results/vitest-${target}.json`;
}

export function suiteTarget(packageDir: string, suite: TestSuite): TargetConfiguration {
  const filter = suite.dir ? ` tests/${suite.dir}/` : '';
  const report = vitestReportPath(suite.target);
  return {
    command: `vitest run${filter} --reporter=default --reporter=json --outputFile.json=${report}`,
    options: { cwd: packageDir },
    outputs: [`{projectRoot}/${report}`],
    metadata: { description: suite.description, technologies: ['vitest'] },
  };
}

export function apiReportTarget(packageDir: string): TargetConfiguration {
  const command = `node ${TOOLS}/api-report.ts ${packageDir}`;
  return {
    command,
    configurations: { update: { command: `${command} --update` } },
    outputs: ['{projectRoot}/review'],
    metadata: {
      description:
        'Checks the API report (review/*.api.md) of every entry point in package.json exports; -c update rewrites them.',
      technologies: ['api-extractor'],
    },
  };
}

export function packageCheckTarget(packageDir: string): TargetConfiguration {
  return {
    command: `node ${TOOLS}/package-check.ts ${packageDir}`,
    outputs: ['{projectRoot}/test-results/package-check.json'],
    metadata: {
      description:
        'Packs the package (npm pack, prepack builds it) and checks the tarball: publint, attw, policy.',
      technologies: ['publint', 'arethetypeswrong'],
    },
  };
}

/** The inferred targets of the package in `packageDir` (relative to `workspaceRoot`). */
export function targetsFor(workspaceRoot: string, packageDir: string): Record<string, TargetConfiguration> {
  const absolute = join(workspaceRoot, packageDir);
  const manifest = readManifest(absolute);
  const targets: Record<string, TargetConfiguration> = {};
  if (existsSync(join(absolute, 'vitest.config.ts'))) {
    for (const suite of suitesOf(absolute, tagsOf(manifest)))
      targets[suite.target] = suiteTarget(packageDir, suite);
  }
  if (isPublished(manifest)) {
    targets['api-report'] = apiReportTarget(packageDir);
    targets['package-check'] = packageCheckTarget(packageDir);
  }
  return targets;
}

export const createNodes: CreateNodes = [
  '**/package.json',
  (files, _options, context) => {
    // Only the workspace's packages (root package.json `workspaces`), not fixtures that look like one.
    const packages = new Set(workspacePackageDirs(context.workspaceRoot));
    return files
      .map(file => dirname(file))
      .filter(packageDir => packages.has(packageDir))
      .map(packageDir => {
        const targets = targetsFor(context.workspaceRoot, packageDir);
        return [join(packageDir, 'package.json'), { projects: { [packageDir]: { targets } } }] as const;
      });
  },
];
