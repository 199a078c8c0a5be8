import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { mountsUnder, startContainerd, TEST_IMAGES } from '../../src/index.js';

const run = promisify(execFile);

describe('startContainerd', () => {
  it('serves CRI with the local test images, runs a task, and leaves nothing behind', async () => {
    const containerd = await startContainerd();
    const { dir, bridgeName, socketPath } = containerd;
    try {
      expect(containerd.endpoint).toBe(`unix://${socketPath}`);
      expect(['overlayfs', 'native']).toContain(containerd.snapshotter);
      const images = await containerd.ctr(['images', 'ls', '-q']);
      expect(images).toContain(TEST_IMAGES.busybox);
      expect(images).toContain(TEST_IMAGES.pause);
      // A task left running on purpose: stop() must kill it, its shim and its mounts.
      await containerd.ctr([
        'run',
        '-d',
        '--cgroup',
        `${containerd.cgroupParent}/left-running`,
        TEST_IMAGES.busybox,
        'left-running',
        'sleep',
        '3600',
      ]);
      expect(await mountsUnder(dir)).not.toHaveLength(0);
    } finally {
      await containerd.stop();
    }
    expect(existsSync(dir)).toBe(false);
    expect(await mountsUnder(dir)).toEqual([]);
    const links = (await run('ip', ['link', 'show'])).stdout;
    expect(links).not.toContain(bridgeName);
    const processes = await run('ps', ['-eo', 'args']);
    expect(processes.stdout).not.toContain(socketPath);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
    expect(existsSync(`/sys/fs/cgroup/memory${containerd.cgroupParent}`)).toBe(false);
  });

  it('runs with the native snapshotter when asked (the fallback where overlay cannot mount)', async () => {
    const containerd = await startContainerd({ snapshotter: 'native' });
    try {
      expect(containerd.snapshotter).toBe('native');
      const out = await containerd.ctr([
        'run',
        '--rm',
        '--snapshotter',
        'native',
        '--cgroup',
        `${containerd.cgroupParent}/native`,
        TEST_IMAGES.busybox,
        'native-check',
        'echo',
        'native ok',
      ]);
      expect(out.trim()).toBe('native ok');
    } finally {
      await containerd.stop();
    }
  });

  it('restarts the daemon with its tasks left running, and stops cleanly while the daemon is down', async () => {
    const containerd = await startContainerd();
    const { dir, socketPath } = containerd;
    try {
      await containerd.ctr([
        'run',
        '-d',
        '--cgroup',
        `${containerd.cgroupParent}/survivor`,
        TEST_IMAGES.busybox,
        'survivor',
        'sleep',
        '3600',
      ]);
      const pid = (await containerd.ctr(['tasks', 'ls'])).match(/survivor\s+(\d+)\s+RUNNING/)?.[1];
      expect(pid).toBeDefined();
      await containerd.kill();
      await expect(containerd.ctr(['version'])).rejects.toThrow();
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      await containerd.restart();
      expect(await containerd.ctr(['tasks', 'ls'])).toMatch(new RegExp(`survivor\\s+${pid}\\s+RUNNING`));
      await containerd.kill();
    } finally {
      await containerd.stop();
    }
    expect(existsSync(dir)).toBe(false);
    const processes = await run('ps', ['-eo', 'args']);
    expect(processes.stdout).not.toContain(socketPath);
  });
});
