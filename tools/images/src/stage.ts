import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';

import { exec } from './exec.js';

/** A workspace package.json, the fields staging reads. */
interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

/**
 * Files no production process reads: source maps, TypeScript sources and declarations, markdown and
 * build info. Licence and notice files stay, whatever their extension.
 */
export function isPrunable(fileName: string): boolean {
  if (/^(licen[cs]e|notice|copying|authors)/i.test(fileName)) return false;
  return /\.(map|ts|mts|cts|md|markdown|tsbuildinfo)$/i.test(fileName);
}

/** Workspace package name → its directory (relative to the repository root), from package-lock.json. */
export function workspaceDirs(lock: {
  packages?: Record<string, { name?: string; link?: boolean }>;
}): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path && !path.includes('node_modules') && entry.name) dirs.set(entry.name, path);
  }
  return dirs;
}

/** The workspace packages the image of `name` needs at run time: itself, core, and their workspace dependencies. */
export async function runtimeWorkspaces(
  repoRoot: string,
  name: string,
  dirs: Map<string, string>,
): Promise<string[]> {
  const needed: string[] = [];
  const visit = async (pkg: string): Promise<void> => {
    const dir = dirs.get(pkg);
    if (!dir || needed.includes(dir)) return;
    needed.push(dir);
    const manifest = JSON.parse(await readFile(join(repoRoot, dir, 'package.json'), 'utf8')) as Manifest;
    for (const dep of Object.keys(manifest.dependencies ?? {})) await visit(dep);
  };
  await visit(name);
  // Every image runs core's `virtual-kubelet`, even for a provider that needs only provider-kit.
  await visit('@vkubelet/core');
  if (needed.length === 0) throw new Error(`${name} is not a workspace package of ${repoRoot}`);
  return needed;
}

/** npm settings inherited from an `npm run`/`npx` parent (workspace, omit, ...) would change what gets installed. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

async function pruneTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await pruneTree(path);
    else if (entry.isFile() && isPrunable(entry.name)) await unlink(path);
  }
}

/** Bytes of the regular files and symlinks under `dir` (what the layer holds, before tar headers). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(path);
    else total += (await lstat(path)).size;
  }
  return total;
}

/** Installed dependency trees kept per (lockfile, workspaces): a warm build copies them instead of running npm. */
const KEPT_DEPENDENCY_SETS = 6;

async function copyTrees(from: string, to: string, trees: string[]): Promise<void> {
  for (const tree of trees) {
    await mkdir(join(to, tree, '..'), { recursive: true });
    await cp(join(from, tree), join(to, tree), { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * `npm ci --omit=dev` in `appDir`, pruned; or, when the same lockfile and workspaces were installed
 * before, a copy of that result from `cacheDir`.
 */
async function installDependencies(
  appDir: string,
  workspaces: string[],
  lockText: string,
  cacheDir: string,
): Promise<boolean> {
  const key = createHash('sha256')
    .update(`${lockText}\0${workspaces.join(',')}\0${isPrunable.toString()}`)
    .digest('hex');
  const sets = join(cacheDir, 'dependencies');
  const kept = join(sets, key.slice(0, 24));
  const trees = ['node_modules', ...workspaces.map(dir => join(dir, 'node_modules'))];
  if (existsSync(join(kept, 'complete'))) {
    await copyTrees(
      kept,
      appDir,
      trees.filter(tree => existsSync(join(kept, tree))),
    );
    await utimes(kept, new Date(), new Date());
    return true;
  }
  await exec(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: appDir, env: cleanEnv() },
  );
  for (const tree of trees) if (existsSync(join(appDir, tree))) await pruneTree(join(appDir, tree));
  await mkdir(sets, { recursive: true });
  const partial = await mkdtemp(join(sets, 'partial-'));
  await copyTrees(
    appDir,
    partial,
    trees.filter(tree => existsSync(join(appDir, tree))),
  );
  await writeFile(join(partial, 'complete'), '');
  await rm(kept, { recursive: true, force: true });
  // A concurrent build may have kept the same set a moment ago: then this copy is not needed.
  await rename(partial, kept).catch(() => rm(partial, { recursive: true, force: true }));
  // Keep the most recently used sets only.
  const entries = await Promise.all(
    (await readdir(sets))
      .filter(name => !name.startsWith('partial-'))
      .map(async name => ({ name, used: (await stat(join(sets, name))).mtimeMs })),
  );
  for (const old of entries.sort((a, b) => b.used - a.used).slice(KEPT_DEPENDENCY_SETS)) {
    await rm(join(sets, old.name), { recursive: true, force: true });
  }
  return false;
}

/**
 * Stages `<contextDir>/app`: the provider's workspace packages exactly as `npm pack` publishes them
 * (so the image holds what the registry would serve), laid out as the repository's workspaces, and
 * their production dependencies installed by `npm ci --omit=dev` from the repository's lockfile, so
 * the image runs the versions the tests ran (kept in `cacheDir` for the next build with the same
 * lockfile). Then prunes files nothing loads at run time.
 */
export async function stageApp(options: {
  repoRoot: string;
  packageName: string;
  contextDir: string;
  cacheDir: string;
}): Promise<{ appDir: string; workspaces: string[]; bytes: number; dependenciesCached: boolean }> {
  const { repoRoot, packageName, contextDir } = options;
  const lockText = await readFile(join(repoRoot, 'package-lock.json'), 'utf8');
  const workspaces = await runtimeWorkspaces(repoRoot, packageName, workspaceDirs(JSON.parse(lockText)));
  const appDir = join(contextDir, 'app');
  const packs = await mkdtemp(join(contextDir, 'packs-'));
  const env = cleanEnv();
  for (const dir of workspaces) {
    const out = JSON.parse(
      await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], {
        cwd: join(repoRoot, dir),
        env,
      }),
    ) as { filename: string }[];
    const target = join(appDir, dir);
    await mkdir(target, { recursive: true });
    await exec('tar', ['-xzf', join(packs, out[0]!.filename), '-C', target, '--strip-components=1']);
  }
  await rm(packs, { recursive: true, force: true });

  const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(
    join(appDir, 'package.json'),
    `${JSON.stringify({ name: root['name'], private: true, type: root['type'], license: root['license'], workspaces }, null, 2)}\n`,
  );
  await copyFile(join(repoRoot, 'package-lock.json'), join(appDir, 'package-lock.json'));
  const dependenciesCached = await installDependencies(appDir, workspaces, lockText, options.cacheDir);
  for (const dir of workspaces) await pruneTree(join(appDir, dir));
  return { appDir, workspaces, bytes: await treeBytes(appDir), dependenciesCached };
}
