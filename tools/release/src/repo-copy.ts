import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { runOk } from './run.js';

/** Workspace package folders (root package.json `workspaces`: `dir/*` patterns or plain folders). */
function workspaceDirs(root: string): string[] {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces?: string[];
  };
  return workspaces.flatMap(pattern =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2))).map(name => join(pattern.slice(0, -2), name))
      : [pattern],
  );
}

/**
 * Copies the repository as it is on disk (tracked and new files, not what .gitignore excludes: no
 * dist/, no caches) to `dest`, commits it there (changesets tags releases in git), and links the
 * installed node_modules in by hard links, so the copy builds and publishes like a clean checkout
 * after `npm ci` without another install (the root's node_modules and the packages' own).
 */
export async function copyRepository(root: string, dest: string): Promise<void> {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    try {
      copyFileSync(join(root, file), join(dest, file));
    } catch (err) {
      // Deleted in the work tree but not yet in the index: not part of the state being released.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  for (const dir of ['.', ...workspaceDirs(root)]) {
    if (existsSync(join(root, dir, 'node_modules')))
      await runOk('cp', ['-al', join(root, dir, 'node_modules'), join(dest, dir, 'node_modules')], {
        cwd: dest,
      });
  }
  const git = ['-c', 'user.name=release-check', '-c', 'user.email=release-check@localhost'];
  await runOk('git', ['init', '-q', '-b', 'main'], { cwd: dest });
  await runOk('git', [...git, 'add', '-A'], { cwd: dest });
  await runOk('git', [...git, 'commit', '-q', '-m', 'release check snapshot'], { cwd: dest });
}
