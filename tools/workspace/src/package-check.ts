/**
 * `node tools/workspace/src/package-check.ts <package dir>` (the `package-check` target): packs the
 * package as `npm publish` would (its prepack builds it), then checks the tarball with publint,
 * @arethetypeswrong/cli and the project's own packaging rules (CONTRIBUTING.md), and writes its size
 * and file count to test-results/package-check.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';

import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

import { readManifest, type Manifest } from './manifest.ts';

export interface PackedFile {
  path: string;
  size: number;
}

/** What `npm pack --json` reports for one package. */
export interface PackResult {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

export interface PackageReport {
  name: string;
  version: string;
  files: number;
  size: number;
  unpackedSize: number;
}

/** The `npm pack --json` array, after whatever the prepack script printed. */
export function parsePackOutput(stdout: string): PackResult {
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error(`npm pack printed no JSON:\n${stdout}`);
  const [result] = JSON.parse(stdout.slice(start)) as PackResult[];
  if (!result) throw new Error('npm pack packed nothing');
  return result;
}

function targetsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(targetsOf);
  return [];
}

const normalize = (path: string) => posix.normalize(path.replace(/^\.\//, ''));

/**
 * The project's packaging rules, beyond what publint and attw check. `readText` reads a packed file
 * (relative to the package folder); `workspaceNames` are the workspace's package names.
 */
export function policyProblems(
  manifest: Manifest,
  files: readonly string[],
  readText: (path: string) => string,
  workspaceNames: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const packed = new Set(files);
  if (!packed.has('LICENSE')) problems.push('LICENSE is not in the package');
  else if (manifest.license === 'Apache-2.0' && !/Apache License\s+Version 2\.0/.test(readText('LICENSE')))
    problems.push('LICENSE is not the Apache-2.0 text the license field names');
  if (!packed.has('README.md')) problems.push('README.md is not in the package');
  for (const field of ['repository', 'homepage', 'bugs', 'engines', 'description'] as const) {
    if (!manifest[field]) problems.push(`package.json has no "${field}"`);
  }
  if (manifest.engines && !manifest.engines.node) problems.push('package.json engines has no "node"');
  if (manifest.publishConfig?.access !== 'public') problems.push('publishConfig.access is not "public"');
  if (manifest.publishConfig?.provenance !== true) problems.push('publishConfig.provenance is not true');
  if (!manifest.scripts?.prepack)
    problems.push('no prepack script: `npm publish` would not build the package');
  for (const target of [...targetsOf(manifest.exports), ...targetsOf(manifest.bin)]) {
    if (!target.startsWith('./src/') && !packed.has(normalize(target)))
      problems.push(`${target} (exports/bin) is not in the package`);
  }
  const unresolved: string[] = [];
  for (const file of files) {
    if (/(^|\/)tests?\//.test(file) || file.endsWith('.tsbuildinfo'))
      problems.push(`${file} is packed but is not part of the package`);
    if (!file.endsWith('.map')) continue;
    const map = JSON.parse(readText(file)) as { sources?: string[]; sourceRoot?: string };
    for (const source of map.sources ?? []) {
      const target = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
      if (!packed.has(target)) unresolved.push(`${file} → ${target}`);
    }
  }
  if (unresolved.length > 0)
    problems.push(
      `${unresolved.length} source map entries point at files not in the package (ship them or no maps), e.g. ${unresolved[0]}`,
    );
  for (const kind of ['dependencies', 'peerDependencies'] as const) {
    for (const [name, range] of Object.entries(manifest[kind] ?? {})) {
      if (workspaceNames.has(name) && !range.startsWith('^'))
        problems.push(`${kind}.${name} is "${range}": use a caret range (^x.y.z) between workspace packages`);
    }
  }
  return problems;
}

/** The folder above `dir` whose package.json declares the workspaces. */
function workspaceRootOf(dir: string): string {
  for (let current = dir; current !== dirname(current); current = dirname(current)) {
    if (existsSync(join(current, 'package.json')) && readManifest(current).workspaces) return current;
  }
  throw new Error(`${dir} is not inside an npm workspace`);
}

function workspaceNames(root: string): Set<string> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { name?: string; link?: boolean }>;
  };
  return new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith('node_modules/@vkubelet/') && entry.link)
      .map(([path]) => path.slice('node_modules/'.length)),
  );
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

async function main(argv: string[]): Promise<number> {
  const [packageDir] = argv;
  if (!packageDir) {
    process.stderr.write('usage: package-check.ts <package dir>\n');
    return 2;
  }
  const dir = resolve(packageDir);
  const manifest = readManifest(dir);
  const out = mkdtempSync(join(tmpdir(), 'vkubelet-pack-'));
  try {
    const stdout = execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pack = parsePackOutput(stdout);
    const tarball = join(out, pack.filename);
    const files = pack.files.map(file => file.path);
    const problems = policyProblems(
      manifest,
      files,
      path => readFileSync(join(dir, path), 'utf8'),
      workspaceNames(workspaceRootOf(dir)),
    );

    const data = readFileSync(tarball);
    const lint = await publint({
      level: 'warning',
      strict: true,
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
    });
    for (const message of lint.messages)
      problems.push(`publint: ${formatMessage(message, lint.pkg, { color: false }) ?? message.code}`);

    try {
      // ESM-only packages: node10 and CommonJS resolution do not apply.
      execFileSync('attw', [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const output = err as { stdout?: string; stderr?: string };
      problems.push(`attw (are the types wrong):\n${output.stdout ?? ''}${output.stderr ?? ''}`);
    }

    const report: PackageReport = {
      name: pack.name,
      version: pack.version,
      files: pack.entryCount,
      size: pack.size,
      unpackedSize: pack.unpackedSize,
    };
    mkdirSync(join(dir, 'test-results'), { recursive: true });
    writeFileSync(join(dir, 'test-results/package-check.json'), `${JSON.stringify(report, null, 2)}\n`);
    const summary = `${pack.name}@${pack.version}: ${pack.entryCount} files, ${kB(pack.size)} packed, ${kB(pack.unpackedSize)} unpacked`;
    if (problems.length > 0) {
      process.stderr.write(`package-check: ${summary}\n${problems.map(p => `  - ${p}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write(`package-check: ${summary}; publint, attw and packaging rules pass\n`);
    return 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
