import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A package's test suites are the folders under its `tests/`; each one becomes an Nx target of the
 * package (CONTRIBUTING.md). Helpers may sit anywhere under `tests/`; test files (`*.test.ts`) must
 * sit in one of these folders, or no target runs them.
 */
export interface TestSuite {
  /** Folder under `tests/`. */
  readonly dir: string;
  /** The Nx target that runs it. */
  readonly target: string;
  readonly description: string;
}

export const TEST_SUITES: readonly TestSuite[] = [
  {
    dir: 'unit',
    target: 'test',
    description: 'Unit tests (tests/unit): fast, cached, no control plane, containerd, moto or Go.',
  },
  {
    dir: 'integration',
    target: 'integration',
    description: 'Integration tests (tests/integration): the real control plane and backends; never cached.',
  },
  {
    dir: 'conformance',
    target: 'conformance',
    description:
      "Provider conformance (tests/conformance): provider-kit's suite against the backend; never cached.",
  },
  {
    dir: 'e2e',
    target: 'e2e',
    description: 'End-to-end tests (tests/e2e): the whole system as users drive it; never cached.',
  },
];

/** The e2e suite of a package tagged `type:e2e` (the `e2e/` package): all of its tests. */
export const WHOLE_PACKAGE_E2E: TestSuite = {
  dir: '',
  target: 'e2e',
  description: 'End-to-end tests (all of tests/): the whole system with kubectl; never cached.',
};

export const TEST_FILE = /\.test\.ts$/;

/** Files under `dir` (relative to it, `/`-separated) whose names match `pattern`. */
export function filesUnder(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile() && pattern.test(entry.name))
    .map(entry => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** The suites a package has: those whose folder holds at least one test file. */
export function suitesOf(packageDir: string, tags: readonly string[]): TestSuite[] {
  const tests = join(packageDir, 'tests');
  if (tags.includes('type:e2e')) return filesUnder(tests, TEST_FILE).length > 0 ? [WHOLE_PACKAGE_E2E] : [];
  return TEST_SUITES.filter(suite => filesUnder(join(tests, suite.dir), TEST_FILE).length > 0);
}

/** Test files under `tests/` that no suite runs (relative to the package). */
export function misplacedTests(packageDir: string, tags: readonly string[]): string[] {
  if (tags.includes('type:e2e')) return [];
  const suiteDirs = TEST_SUITES.map(suite => `${suite.dir}/`);
  return filesUnder(join(packageDir, 'tests'), TEST_FILE)
    .filter(file => !suiteDirs.some(dir => file.startsWith(dir)))
    .map(file => `tests/${file}`);
}
