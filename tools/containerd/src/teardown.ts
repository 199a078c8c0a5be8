import { execFile, type ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { unmountUnder } from './mounts.js';

const run = promisify(execFile);

export async function listNetns(): Promise<string[]> {
  return readdir('/run/netns').catch(() => []);
}

export interface TeardownTarget {
  child: ChildProcess;
  ctr: (args: string[]) => Promise<string>;
  dir: string;
  socketPath: string;
  bridgeName: string;
  cgroupParent: string;
  netnsBefore: Set<string>;
}

/** Kills every task, containerd and its shims; removes netns, bridge, mounts, cgroups and the dir. */
export async function teardown(t: TeardownTarget): Promise<void> {
  // Tasks outlive containerd (their shims are separate processes): kill them through containerd first.
  if (t.child.exitCode === null) {
    const tasks = await t.ctr(['tasks', 'ls', '-q']).catch(() => '');
    for (const id of tasks.split('\n').filter(Boolean)) {
      await t.ctr(['tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => undefined);
    }
    await sleep(tasks.trim() ? 300 : 0);
    for (const id of tasks.split('\n').filter(Boolean)) {
      await t.ctr(['tasks', 'delete', '-f', id]).catch(() => undefined);
    }
    const exited = new Promise(resolve => t.child.once('exit', resolve));
    t.child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
  }
  await killShimsOf(t.socketPath);
  // Network namespaces the CRI plugin created for sandboxes the tests did not remove.
  for (const name of await listNetns()) {
    if (t.netnsBefore.has(name) || !name.startsWith('cni-')) continue;
    await run('umount', ['-l', join('/run/netns', name)]).catch(() => undefined);
    await rm(join('/run/netns', name), { force: true });
  }
  await run('ip', ['link', 'delete', t.bridgeName]).catch(() => undefined);
  await unmountUnder(t.dir);
  await removeCgroups(t.cgroupParent);
  await rm(t.dir, { recursive: true, force: true });
}

/** Shims carry `-address <our socket>` on their command line; kill exactly those, by pid. */
async function killShimsOf(socketPath: string): Promise<void> {
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args[0]?.endsWith('containerd-shim-runc-v2') && args.includes(socketPath)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

async function removeCgroups(parent: string): Promise<void> {
  const controllers = await readdir('/sys/fs/cgroup').catch(() => []);
  for (const controller of controllers) {
    await removeCgroupTree(join('/sys/fs/cgroup', controller, parent));
  }
}

async function removeCgroupTree(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const entry of entries) {
    if (entry.isDirectory()) await removeCgroupTree(join(path, entry.name));
  }
  await rmdir(path).catch(() => undefined);
}
