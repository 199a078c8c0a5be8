/**
 * `node tools/workspace/src/test-summary.ts` (end of tools/scripts/test.sh): adds up the vitest JSON
 * reports every suite target wrote (test-results/vitest-<target>.json, restored from the Nx cache for
 * cached targets), prints one line per package and target, the packed size of each published package
 * (test-results/package-check.json), and last the line CI reads: `tests: N passed, N failed, N skipped`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { readManifest, workspacePackageDirs } from './manifest.ts';
import type { PackageReport } from './package-check.ts';

/** The parts of vitest's JSON report read here. */
export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { status: string }[] }[];
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts of one report; a test file that failed without a failed test (it did not load) counts as one failure. */
export function countsOf(report: VitestReport): Counts {
  const brokenFiles = report.testResults.filter(
    file => file.status === 'failed' && !file.assertionResults.some(test => test.status === 'failed'),
  ).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

export const formatCounts = (c: Counts) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

function main(root: string): number {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const packages: PackageReport[] = [];
  for (const dir of workspacePackageDirs(root)) {
    const results = join(root, dir, 'test-results');
    if (!existsSync(results)) continue;
    const name = readManifest(join(root, dir)).name;
    for (const file of readdirSync(results).sort()) {
      const suite = /^vitest-(.+)\.json$/.exec(file)?.[1];
      if (suite) {
        const counts = countsOf(JSON.parse(readFileSync(join(results, file), 'utf8')) as VitestReport);
        process.stdout.write(
          `  ${name}:${suite === 'test' ? 'test (unit)' : suite}  ${formatCounts(counts)}\n`,
        );
        total.passed += counts.passed;
        total.failed += counts.failed;
        total.skipped += counts.skipped;
      } else if (file === 'package-check.json') {
        packages.push(JSON.parse(readFileSync(join(results, file), 'utf8')) as PackageReport);
      }
    }
  }
  for (const p of packages) {
    process.stdout.write(
      `  package ${p.name}@${p.version}: ${p.files} files, ${(p.size / 1000).toFixed(1)} kB packed, ${(p.unpackedSize / 1000).toFixed(1)} kB unpacked\n`,
    );
  }
  process.stdout.write(`tests: ${formatCounts(total)}\n`);
  return total.failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = main(process.argv[2] ?? process.cwd());
