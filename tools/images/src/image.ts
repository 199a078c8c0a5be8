import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';

import { Buildah } from './buildah.js';
import { exec } from './exec.js';
import { ensureNodeBase } from './node-base.js';
import { DEFAULT_OUT_DIR, imagesCacheDir, REPO_ROOT, repoBin } from './paths.js';
import { stageApp } from './stage.js';

/** MB as everywhere in this project's figures: 10^6 bytes. */
export const MB = 1_000_000;
/** An image's uncompressed size may not exceed this unless the build is told otherwise. */
export const DEFAULT_BUDGET_BYTES = 200 * MB;

export interface BuildImageOptions {
  /** The provider package's directory (absolute, or relative to the repository root), e.g. `providers/cri`. */
  providerDir: string;
  /** A base image reference (e.g. `node:24-bookworm-slim`); by default the locally made Node base. */
  base?: string;
  budgetBytes?: number;
  /** Where the OCI archive and report go; default `<repo>/dist/images`. */
  outDir?: string;
  log?: (line: string) => void;
}

/** What one build made and measured; also written as JSON next to the archive. */
export interface ImageReport {
  /** `vkubelet-<provider>`: title label, archive and report names. */
  name: string;
  packageName: string;
  version: string;
  /** The image's name in the archive, `localhost/vkubelet/<provider>:<version>`. */
  ref: string;
  base: string;
  baseCached: boolean;
  /** The OCI archive (gzip layers), ready for `ctr images import`, `skopeo copy oci-archive:...`. */
  archive: string;
  /** Digest of the manifest in the archive (what a registry serves for the pushed tag). */
  manifestDigest: string;
  /** The image ID, the same whatever the compression. */
  configDigest: string;
  sizeBytes: number;
  baseBytes: number;
  appBytes: number;
  compressedBytes: number;
  budgetBytes: number;
  buildSeconds: number;
  labels: Record<string, string>;
  entrypoint: string[];
  user: string;
}

/** The image would be larger than its budget; nothing was written. */
export class ImageBudgetError extends Error {
  override readonly name = 'ImageBudgetError';
}

interface ProviderManifest {
  name: string;
  version: string;
  license?: string;
  repository?: string | { url?: string };
}

function repositoryUrl(manifest: { repository?: string | { url?: string } }): string | undefined {
  const raw = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  return raw?.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** Short provider name: `@vkubelet/provider-cri` → `cri`. */
export function providerName(packageName: string): string {
  return packageName.replace(/^@vkubelet\/provider-/, '').replace(/^@.*\//, '');
}

/** "178.3 MB" */
export function formatMB(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** The one-line summary a build prints. */
export function describeReport(report: ImageReport): string {
  return (
    `${report.name} ${report.version}: ${formatMB(report.sizeBytes)} uncompressed ` +
    `(base ${formatMB(report.baseBytes)}, app ${formatMB(report.appBytes)}; ` +
    `${formatMB(report.compressedBytes)} compressed), budget ${formatMB(report.budgetBytes)}, ` +
    `built in ${report.buildSeconds.toFixed(1)} s (base ${report.baseCached ? 'cached' : 'built'})`
  );
}

async function readManifest(dir: string): Promise<ProviderManifest> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as ProviderManifest;
}

/**
 * Compiles the provider's packages (quick when up to date: they are packed from dist/) and stages them
 * into `<contextDir>/app`: the build context a Containerfile copies from.
 */
export async function stageProvider(
  providerDir: string,
  contextDir: string,
): Promise<ReturnType<typeof stageApp>> {
  await exec(repoBin('tsc'), ['-b', join(providerDir, 'tsconfig.lib.json')], { cwd: REPO_ROOT });
  const manifest = await readManifest(providerDir);
  return stageApp({
    repoRoot: REPO_ROOT,
    packageName: manifest.name,
    contextDir,
    cacheDir: imagesCacheDir(),
  });
}

async function git(args: string[]): Promise<string> {
  return (await exec('git', ['-C', REPO_ROOT, ...args])).trim();
}

/**
 * Builds `providers/<name>/Containerfile` with buildah: the provider's packages staged by
 * {@link stageApp} on the local Node base (or `base`), OCI labels from package.json and git, the
 * commit time as the image and file timestamp. Fails over budget; otherwise writes
 * `<out>/vkubelet-<name>.oci.tar` and `<out>/vkubelet-<name>.json`.
 */
export async function buildProviderImage(options: BuildImageOptions): Promise<ImageReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const providerDir = resolve(REPO_ROOT, options.providerDir);
  const containerfile = join(providerDir, 'Containerfile');
  if (!existsSync(containerfile)) throw new Error(`${containerfile} does not exist: no image to build`);
  const manifest = await readManifest(providerDir);
  const root = await readManifest(REPO_ROOT);
  const short = providerName(manifest.name);
  const name = `vkubelet-${short}`;
  const ref = `localhost/vkubelet/${short}:${manifest.version}`;
  const step = (what: string): void =>
    log(`[${name}] ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  const buildah = await Buildah.create();
  const base = options.base
    ? { ref: options.base, cached: true }
    : await ensureNodeBase(buildah, { log: line => log(`[${name}] ${line}`) });
  step(`base ${base.ref} ${base.cached ? '(cached)' : '(built)'}`);

  await mkdir(imagesCacheDir(), { recursive: true });
  const context = await mkdtemp(join(imagesCacheDir(), `context-${short}-`));
  // A tag of this build's own: builds from other worktrees share the storage and the plain tag.
  const buildTag = `${ref}-build-${basename(context)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`;
  try {
    const staged = await stageProvider(providerDir, context);
    step(
      `staged ${staged.workspaces.join(', ')} with production dependencies ` +
        `(${staged.dependenciesCached ? 'cached' : 'npm ci'}): ${formatMB(staged.bytes)}`,
    );

    const revision = await git(['rev-parse', 'HEAD']);
    const commitTime = await git(['log', '-1', '--format=%ct']);
    const buildArgs = {
      BASE: base.ref,
      VERSION: manifest.version,
      REVISION: revision,
      SOURCE: repositoryUrl(manifest) ?? repositoryUrl(root) ?? '',
      LICENSES: manifest.license ?? root.license ?? '',
    };
    await buildah.run(
      [
        'bud',
        '--quiet',
        '--layers=false',
        '--pull=missing',
        '--timestamp',
        commitTime,
        '-f',
        containerfile,
        ...Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
        '-t',
        buildTag,
        context,
      ],
      { cwd: REPO_ROOT },
    );
    step(`built ${ref}`);

    const facts = await buildah.inspect(buildTag);
    const baseLayers = (await buildah.inspect(base.ref)).layerSizes.length;
    const sum = (sizes: number[]): number => sizes.reduce((a, b) => a + b, 0);
    const sizeBytes = sum(facts.layerSizes);
    const baseBytes = sum(facts.layerSizes.slice(0, baseLayers));
    const budgetBytes = options.budgetBytes ?? DEFAULT_BUDGET_BYTES;
    if (sizeBytes > budgetBytes) {
      throw new ImageBudgetError(
        `${name} is ${formatMB(sizeBytes)} uncompressed (base ${formatMB(baseBytes)}, app ` +
          `${formatMB(sizeBytes - baseBytes)}), over its budget of ${formatMB(budgetBytes)}`,
      );
    }

    const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
    await mkdir(outDir, { recursive: true });
    const archive = join(outDir, `${name}.oci.tar`);
    const partial = `${archive}.${process.pid}.partial`;
    await buildah.run(['push', '--quiet', buildTag, `oci-archive:${partial}:${ref}`]);
    await rename(partial, archive);
    const index = JSON.parse(await exec('tar', ['-xOf', archive, 'index.json'])) as {
      manifests: { digest: string }[];
    };
    const manifestDigest = index.manifests[0]!.digest;
    const pushed = JSON.parse(
      await exec('tar', ['-xOf', archive, `blobs/sha256/${manifestDigest.slice('sha256:'.length)}`]),
    ) as { layers: { size: number }[] };

    const report: ImageReport = {
      name,
      packageName: manifest.name,
      version: manifest.version,
      ref,
      base: base.ref,
      baseCached: base.cached,
      archive,
      manifestDigest,
      configDigest: facts.configDigest,
      sizeBytes,
      baseBytes,
      appBytes: sizeBytes - baseBytes,
      compressedBytes: sum(pushed.layers.map(layer => layer.size)),
      budgetBytes,
      buildSeconds: (performance.now() - started) / 1000,
      labels: facts.labels,
      entrypoint: facts.entrypoint,
      user: facts.user,
    };
    await writeFile(join(outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    step(`wrote ${relative(REPO_ROOT, archive) || basename(archive)}`);
    return report;
  } finally {
    // The archive is the product; the stored image goes (the base, tagged, stays).
    await buildah.run(['rmi', buildTag]).catch(() => undefined);
    await rm(context, { recursive: true, force: true });
  }
}
