import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

import type { Logger } from '@vkubelet/provider-kit';

/**
 * Calls `onChange` (debounced) when any of `files` is written, created or replaced. The directories
 * are watched, not the files, because cert-manager, kubelet-style rotation and `kubectl cp` replace
 * files by rename, which a watch on the old inode would miss; debouncing folds the two writes of a
 * key pair into one reload. Returns a function that stops watching.
 */
export function watchFiles(
  files: readonly string[],
  onChange: () => void,
  logger: Logger,
  debounceMs = 200,
): () => void {
  const names = new Set(files.map(file => basename(file)));
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map(file => dirname(file)))) {
    const watcher = watch(dir, { persistent: false }, (_event, file) => {
      if (file !== null && !names.has(file.toString())) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    watcher.on('error', err => logger.warn('watching certificate files failed', { dir, err: err.message }));
    watchers.push(watcher);
  }
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
