import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { WatchedFile } from '../../../../src/kube/kubeconfig/watched-file.js';
import { TempDir } from './temp-dir.js';

describe('WatchedFile', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => dir.remove());

  it('checks the file at most once per interval and re-reads it when it changed', async () => {
    let now = 0;
    const path = dir.write('cert', 'first');
    const file = new WatchedFile(path, 'client-certificate', { checkIntervalMs: 1000, now: () => now });
    dir.write('cert', 'second, longer');
    now = 999;
    expect(await file.read()).toBe('first');
    now = 1000;
    expect(await file.read()).toBe('second, longer');
  });

  it('keeps failing clearly while the file is gone', async () => {
    const path = dir.write('token', 'x');
    const file = new WatchedFile(path, 'tokenFile', { checkIntervalMs: 0 });
    dir.remove();
    await expect(file.read()).rejects.toThrow(/^tokenFile: cannot read .*token: ENOENT/);
  });
});
