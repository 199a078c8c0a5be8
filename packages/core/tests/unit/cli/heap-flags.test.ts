import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

import {
  AGENT_HEAP_FLAGS,
  AGENT_MALLOC_ENV,
  useAgentHeapFlags,
  type HeapFlagsProcess,
} from '../../../src/cli/heap-flags.js';

function fakeProcess(overrides: Partial<HeapFlagsProcess> = {}) {
  const execve = vi.fn();
  const proc: HeapFlagsProcess = {
    execPath: '/usr/bin/node',
    execArgv: ['--enable-source-maps'],
    argv: ['/usr/bin/node', '/app/main.js', '--provider', 'mock'],
    env: { HOME: '/root' },
    execve: execve as unknown as HeapFlagsProcess['execve'],
    ...overrides,
  };
  return { proc, execve };
}

describe('useAgentHeapFlags', () => {
  it('re-executes the same command with the heap flags first and every argument kept', () => {
    const { proc, execve } = fakeProcess();
    useAgentHeapFlags(proc);
    expect(execve).toHaveBeenCalledWith(
      '/usr/bin/node',
      ['/usr/bin/node', ...AGENT_HEAP_FLAGS, '--enable-source-maps', '/app/main.js', '--provider', 'mock'],
      { HOME: '/root', ...AGENT_MALLOC_ENV },
    );
  });

  it.each(['MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'GLIBC_TUNABLES'])(
    'keeps the environment as it is when %s tunes malloc already',
    name => {
      const { proc, execve } = fakeProcess({ env: { HOME: '/root', [name]: '1' } });
      useAgentHeapFlags(proc);
      expect(execve).toHaveBeenCalledWith('/usr/bin/node', expect.any(Array), { HOME: '/root', [name]: '1' });
    },
  );

  it.each([
    ['the command line', { execArgv: ['--max-semi-space-size=32'] }],
    ['the command line (growing)', { execArgv: ['--heap-growing-percent=50'] }],
    ['NODE_OPTIONS', { env: { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=2' } }],
  ])('leaves the heap alone when %s sets it', (_where, overrides: Partial<HeapFlagsProcess>) => {
    const { proc, execve } = fakeProcess(overrides);
    useAgentHeapFlags(proc);
    expect(execve).not.toHaveBeenCalled();
  });

  it('runs on without the flags where execve does not exist', () => {
    const { proc } = fakeProcess({ execve: undefined });
    expect(() => useAgentHeapFlags(proc)).not.toThrow();
  });

  it('really restarts node with the flags, once, under the same PID', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vk-heap-flags-'));
    const script = join(dir, 'probe.mjs');
    const module = fileURLToPath(new URL('../../../src/cli/heap-flags.ts', import.meta.url));
    writeFileSync(
      script,
      `const before = process.pid;
       const { useAgentHeapFlags } = await import(${JSON.stringify(module)});
       useAgentHeapFlags();
       console.log(JSON.stringify({ pid: before, execArgv: process.execArgv, args: process.argv.slice(2) }));`,
    );
    const child = spawnSync(process.execPath, [script, 'a', '--b'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const probe = JSON.parse(lines[0]!) as { pid: number; execArgv: string[]; args: string[] };
    expect(probe.pid).toBe(child.pid);
    expect(probe.execArgv).toEqual(expect.arrayContaining([...AGENT_HEAP_FLAGS]));
    expect(probe.args).toEqual(['a', '--b']);
  });
});
