import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { errorMessage } from '@vkubelet/provider-kit';

import { KubeconfigError } from './errors.js';

/** How often a credential file is checked for changes by default: rotation shows within a second. */
export const DEFAULT_FILE_CHECK_INTERVAL_MS = 1000;

/**
 * A credential file (certificate, key, token) read again when it changes on disk, so rotation works
 * without a restart. It is checked (one stat) at most every `checkIntervalMs` and re-read only when
 * its size, mtime or inode changed (Secret volumes swap a symlink, which changes the inode).
 */
export class WatchedFile {
  readonly path: string;
  private readonly what: string;
  private readonly checkIntervalMs: number;
  private readonly now: () => number;
  private content: string;
  private signature: string;
  private checkedAt: number;
  private checking: Promise<string> | undefined;

  /** Reads the file once now, so a missing file fails at start-up with `what` in the message. */
  constructor(path: string, what: string, options: { checkIntervalMs?: number; now?: () => number } = {}) {
    this.path = path;
    this.what = what;
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_FILE_CHECK_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    try {
      this.signature = signatureOf(statSync(path));
      this.content = readFileSync(path, 'utf8');
    } catch (err) {
      throw new KubeconfigError(`${what}: cannot read ${path}: ${errorMessage(err)}`, { cause: err });
    }
    this.checkedAt = this.now();
  }

  /** The content, re-read if the file changed since the last check. */
  read(): Promise<string> {
    if (this.now() - this.checkedAt < this.checkIntervalMs) return Promise.resolve(this.content);
    this.checking ??= this.refresh().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async refresh(): Promise<string> {
    try {
      const signature = signatureOf(await stat(this.path));
      if (signature !== this.signature) {
        this.content = await readFile(this.path, 'utf8');
        this.signature = signature;
      }
    } catch (err) {
      throw new KubeconfigError(`${this.what}: cannot read ${this.path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    this.checkedAt = this.now();
    return this.content;
  }
}

function signatureOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
