import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcess, tailFile } from '../../src/process.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('managed processes', () => {
  it('logs to a file, reports the exit status and tails the log', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vkubelet-proc-'));
    const log = join(dir, 'p.log');
    const proc = startProcess(
      'printer',
      '/bin/sh',
      ['-c', 'for i in 1 2 3 4 5; do echo line$i; done; exit 7'],
      log,
    );
    expect(await proc.exited).toEqual({ code: 7, signal: null });
    expect(tailFile(log, 2)).toBe('line4\nline5');
  });

  it('kills the whole process group on stop, including grandchildren', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vkubelet-proc-'));
    const marker = join(dir, 'grandchild-alive');
    // The grandchild would write the marker after 1 s if it survived its parent's group being killed.
    const proc = startProcess(
      'parent',
      '/bin/sh',
      ['-c', `(sleep 1; touch ${marker}) & sleep 60`],
      join(dir, 'p.log'),
    );
    await proc.stop(0);
    expect(proc.exitStatus()).toEqual({ code: null, signal: 'SIGKILL' });
    await new Promise(r => setTimeout(r, 1500));
    expect(existsSync(marker)).toBe(false);
  });

  it('returns an empty tail for a missing log and the last lines of a long one', () => {
    dir = mkdtempSync(join(tmpdir(), 'vkubelet-proc-'));
    expect(tailFile(join(dir, 'absent.log'))).toBe('');
    const long = join(dir, 'long.log');
    writeFileSync(long, Array.from({ length: 100_000 }, (_, i) => `row ${i}`).join('\n') + '\n');
    expect(tailFile(long, 3)).toBe('row 99997\nrow 99998\nrow 99999');
  });
});
