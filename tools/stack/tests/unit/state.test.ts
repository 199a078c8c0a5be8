import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  claimStackDir,
  diagnoseKubeconfig,
  listStacks,
  readRecord,
  stackKubeconfigPath,
  StackInUseError,
  writeRecord,
} from '../../src/state.js';

let root: string;
const saved = process.env['VKUBELET_STACKS'];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vk-stacks-test-'));
  process.env['VKUBELET_STACKS'] = root;
});
afterEach(() => {
  if (saved === undefined) delete process.env['VKUBELET_STACKS'];
  else process.env['VKUBELET_STACKS'] = saved;
  rmSync(root, { recursive: true, force: true });
});

const info = { name: 'demo', provider: 'mock', nodeName: 'vkubelet-mock-0', kubeconfig: '/x/kubeconfig' };

/** A live process whose command line names the stack CLI, as a running supervisor's does. */
function fakeSupervisor() {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'tools/stack/dist/cli.js'], {
    stdio: 'ignore',
  });
}

describe('stack state directories', () => {
  it('claims a directory per name with a record of this process', () => {
    const dir = claimStackDir('demo', info);
    expect(dir).toBe(join(root, 'demo'));
    expect(readRecord(dir)).toMatchObject({ ...info, pid: process.pid, phase: 'starting' });
    expect(stackKubeconfigPath('demo')).toBe(join(root, 'demo', 'kubeconfig'));
  });

  it('refuses a name whose supervisor still runs, and replaces what a dead one left behind', async () => {
    const live = fakeSupervisor();
    const exited = new Promise(resolve => live.once('exit', resolve));
    try {
      const dir = join(root, 'demo');
      mkdirSync(dir);
      writeFileSync(join(dir, 'leftover.key'), 'secret');
      writeRecord(dir, { ...info, pid: live.pid!, phase: 'ready', startedAt: '' });
      expect(() => claimStackDir('demo', info)).toThrow(StackInUseError);
      expect(() => claimStackDir('demo', info)).toThrow(/already running \(pid \d+, provider mock/);
      expect(listStacks().map(s => [s.name, s.alive])).toEqual([['demo', true]]);
    } finally {
      live.kill('SIGKILL');
    }
    await exited;
    expect(listStacks().map(s => [s.name, s.alive])).toEqual([['demo', false]]);
    claimStackDir('demo', info);
    expect(existsSync(join(root, 'demo', 'leftover.key'))).toBe(false);
    expect(readRecord(join(root, 'demo'))?.pid).toBe(process.pid);
  });

  it('treats a record whose PID belongs to another program as dead', () => {
    const dir = join(root, 'demo');
    mkdirSync(dir);
    writeFileSync(join(dir, 'leftover.key'), 'secret');
    // This test process is alive, but it is not a stack supervisor.
    writeRecord(dir, { ...info, pid: process.pid, phase: 'ready', startedAt: '' });
    expect(listStacks()[0]?.alive).toBe(false);
    claimStackDir('demo', info);
    expect(existsSync(join(dir, 'leftover.key'))).toBe(false);
  });
});

describe('diagnoseKubeconfig', () => {
  it('tells unset, external, running and stopped local stacks apart', () => {
    expect(diagnoseKubeconfig(undefined)).toEqual({ kind: 'unset' });
    expect(diagnoseKubeconfig('/etc/kubernetes/admin.conf')).toEqual({
      kind: 'external',
      path: '/etc/kubernetes/admin.conf',
    });
    expect(diagnoseKubeconfig('/a:/b')).toMatchObject({ kind: 'external' });
    const gone = stackKubeconfigPath('gone');
    expect(diagnoseKubeconfig(gone)).toEqual({ kind: 'local-stopped', path: gone, name: 'gone' });

    const live = fakeSupervisor();
    try {
      const dir = join(root, 'up');
      mkdirSync(dir);
      writeRecord(dir, { ...info, name: 'up', pid: live.pid!, phase: 'ready', startedAt: '' });
      expect(diagnoseKubeconfig(stackKubeconfigPath('up'))).toMatchObject({
        kind: 'local-running',
        record: { name: 'up' },
      });
    } finally {
      live.kill('SIGKILL');
    }
  });
});
