/**
 * `node tools/workspace/src/api-report.ts <package dir> [--update]` (the `api-report` target):
 * runs api-extractor on the declarations of every entry point in the package's `exports`, so a new
 * subpath gets a report without a config file. Checks `review/<name>[-<subpath>].api.md` against the
 * built `dist/` (exit 1 when it differs or is missing); `--update` rewrites the reports.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Extractor, ExtractorConfig, type IConfigFile } from '@microsoft/api-extractor';

import { readManifest, typedEntryPoints } from './manifest.ts';

/** `core` for `.`, `provider-kit-mock` for `./mock` of `@vkubelet/provider-kit`. */
export function reportName(packageName: string, subpath: string): string {
  const base = packageName.replace(/^@[^/]+\//, '');
  const suffix = subpath.replace(/^\.\/?/, '').replace(/[/.]+/g, '-');
  return suffix ? `${base}-${suffix}` : base;
}

/** Settings shared by every report (messages; no doc model or rollup). */
const BASE_CONFIG = fileURLToPath(new URL('../api-extractor.base.json', import.meta.url));

export function extractorConfig(packageDir: string, typesFile: string, name: string): IConfigFile {
  const dir = resolve(packageDir);
  const base = ExtractorConfig.loadFile(BASE_CONFIG);
  return {
    ...base,
    projectFolder: dir,
    mainEntryPointFilePath: resolve(dir, typesFile),
    compiler: {
      // The published declarations, resolving workspace dependencies through their published types
      // too (not the `@vkubelet/source` condition the build uses).
      overrideTsconfig: {
        extends: resolve(dir, 'tsconfig.lib.json'),
        compilerOptions: { customConditions: [] },
        include: [resolve(dir, typesFile)],
        exclude: [],
      },
    },
    apiReport: {
      ...base.apiReport,
      enabled: true,
      reportFileName: name,
      reportFolder: resolve(dir, 'review'),
      reportTempFolder: resolve(dir, 'out-tsc/api-report'),
    },
  };
}

function main(argv: string[]): number {
  const packageDir = argv.find(arg => !arg.startsWith('--'));
  if (!packageDir) {
    process.stderr.write('usage: api-report.ts <package dir> [--update]\n');
    return 2;
  }
  const update = argv.includes('--update');
  const manifest = readManifest(packageDir);
  if (update) mkdirSync(resolve(packageDir, 'review'), { recursive: true });
  let failed = 0;
  for (const [subpath, typesFile] of typedEntryPoints(manifest)) {
    const name = reportName(manifest.name, subpath);
    const config = ExtractorConfig.prepare({
      configObject: extractorConfig(packageDir, typesFile, name),
      configObjectFullPath: undefined,
      packageJsonFullPath: resolve(packageDir, 'package.json'),
    });
    const result = Extractor.invoke(config, { localBuild: update });
    const entry = `${manifest.name}${subpath === '.' ? '' : subpath.slice(1)}`;
    if (!result.succeeded) {
      failed++;
      process.stderr.write(
        result.apiReportChanged
          ? `api-report: the public API of ${entry} differs from review/${name}.api.md (see out-tsc/api-report/${name}.api.md); after a deliberate change run 'npm run api:update' and commit the report\n`
          : `api-report: api-extractor failed for ${entry} (${result.errorCount} errors, ${result.warningCount} warnings, above)\n`,
      );
    } else {
      process.stdout.write(
        `api-report: ${entry} ${update && result.apiReportChanged ? 'updated' : 'matches'} review/${name}.api.md\n`,
      );
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
