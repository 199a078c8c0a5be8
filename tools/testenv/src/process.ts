// One long-running component: spawned detached (its own process group, so its children die with it),
// output appended to a log file, stopped with SIGTERM then SIGKILL after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { killGroupNow, trackGroup, untrackGroup } from './cleanup.js';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** The exit status once exited, else undefined. */
  exitStatus(): ExitStatus | undefined;
  /** SIGTERM to the group, SIGKILL after `graceMs` (0: SIGKILL at once); resolves when the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(
  name: string,
  binary: string,
  args: readonly string[],
  logPath: string,
  env: NodeJS.ProcessEnv = process.env,
): ManagedProcess {
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { detached: true, stdio: ['ignore', logFd, logFd], env });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports ENOENT/EACCES asynchronously through 'error'; pid is undefined in that case.
    throw new Error(`${name}: could not start ${binary}`);
  }
  trackGroup(pid);
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>(resolveExit => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      // The leader is gone; anything it forked is in the same group and must not outlive it.
      killGroupNow(pid);
      untrackGroup(pid);
      resolveExit(status);
    });
  });

  return {
    name,
    pid,
    logPath,
    exited,
    exitStatus: () => status,
    async stop(graceMs = 5_000) {
      if (status) return;
      killGroupNow(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => killGroupNow(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}

/** The last `lines` lines of a log file, reading at most its last 256 KiB. */
export function tailFile(path: string, lines = 40): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
