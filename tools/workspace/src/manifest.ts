import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a package.json the tooling reads. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  description?: string;
  homepage?: string;
  bugs?: unknown;
  repository?: unknown;
  engines?: Record<string, string>;
  publishConfig?: { access?: string; provenance?: boolean };
  exports?: Record<string, string | Record<string, string>>;
  bin?: string | Record<string, string>;
  files?: string[];
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  nx?: { tags?: string[] };
}

export function readManifest(packageDir: string): Manifest {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
}

export function tagsOf(manifest: Manifest): string[] {
  return manifest.nx?.tags ?? [];
}

/**
 * The workspace's package folders (relative to the root), from the root package.json's
 * `workspaces` (each `dir/*` or a plain folder, as this repository uses them).
 */
export function workspacePackageDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const pattern of readManifest(root).workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json')))
          dirs.push(`${parent}/${entry.name}`);
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      dirs.push(pattern);
    }
  }
  return dirs;
}

/** Export subpaths with a types entry, e.g. `.` and `./mock`, mapped to their `.d.ts` file. */
export function typedEntryPoints(manifest: Manifest): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === 'object' && typeof target.types === 'string') entries.set(subpath, target.types);
  }
  return entries;
}

/** A published package: not private, with entry points. */
export function isPublished(manifest: Manifest): boolean {
  return manifest.private !== true && typedEntryPoints(manifest).size > 0;
}
