// Where each stack keeps its state (one directory per stack name, removed when the stack stops), the
// record that tells a running stack from a dead one, and what an exported KUBECONFIG points at.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { cacheRoot } from '@vkubelet/testenv';

/** A stack name: also a directory name and part of the control plane's temp directory name. */
export const STACK_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** What `stack.json` records about a stack while it runs. */
export interface StackRecord {
  name: string;
  /** The supervising process (`vkubelet-stack up`); the stack is alive while it is. */
  pid: number;
  provider: string;
  nodeName: string;
  kubeconfig: string;
  phase: 'starting' | 'ready';
  startedAt: string;
}

/** The directory holding every stack's state: $VKUBELET_STACKS, else <cache>/stacks. */
export function stacksRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['VKUBELET_STACKS'] || join(cacheRoot(env), 'stacks');
}

export function stackDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(stacksRoot(env), name);
}

/** The kubeconfig path a stack prints; stable per name, so a shell can keep it exported. */
export function stackKubeconfigPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(stackDir(name, env), 'kubeconfig');
}

/** Where start.sh wrote its one kubeconfig before stacks had names (still exported in old shells). */
export function legacyKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'local', 'kubeconfig');
}

const recordFile = (dir: string): string => join(dir, 'stack.json');

export function writeRecord(dir: string, record: StackRecord): void {
  writeFileSync(recordFile(dir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function readRecord(dir: string): StackRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(dir), 'utf8')) as StackRecord;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a running stack supervisor. A PID alone can be reused by another program after
 * a crash, so on Linux its command line must name the stack CLI too.
 */
export function isSupervisorAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone; EPERM: another user's process, which a stack of ours never is.
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('vkubelet-stack') || /tools\/stack\/(dist|src)\/cli\.[jt]s/.test(cmdline);
  } catch {
    return !existsSync('/proc/self');
  }
}

export class StackInUseError extends Error {
  override readonly name = 'StackInUseError';
}

/**
 * Creates the state directory of stack `name` for this process. A directory left by a stack that
 * died without cleaning up is replaced; one whose supervisor still runs is a StackInUseError.
 */
export function claimStackDir(
  name: string,
  record: Omit<StackRecord, 'pid' | 'phase' | 'startedAt'>,
): string {
  const dir = stackDir(name);
  mkdirSync(dirname(dir), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir, { mode: 0o700 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        const other = readRecord(dir);
        throw new StackInUseError(
          `a stack named "${name}" is already running${other ? ` (pid ${other.pid}, provider ${other.provider})` : ''}: ` +
            `stop it first (Ctrl-C in its shell, or vkubelet-stack stop ${name}) or choose another --name`,
        );
      }
      const previous = readRecord(dir);
      if (previous && isSupervisorAlive(previous.pid)) {
        throw new StackInUseError(
          `a stack named "${name}" is already running (pid ${previous.pid}, provider ${previous.provider}, ` +
            `KUBECONFIG=${previous.kubeconfig}): stop it first (Ctrl-C in its shell, or vkubelet-stack stop ${name}) or choose another --name`,
        );
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  writeRecord(dir, { ...record, pid: process.pid, phase: 'starting', startedAt: new Date().toISOString() });
  return dir;
}

export interface ListedStack {
  name: string;
  dir: string;
  record: StackRecord | undefined;
  alive: boolean;
}

/** Every stack directory, running or left behind by a supervisor that was killed. */
export function listStacks(env: NodeJS.ProcessEnv = process.env): ListedStack[] {
  const root = stacksRoot(env);
  let names: string[];
  try {
    names = readdirSync(root).filter(name => STACK_NAME.test(name));
  } catch {
    return [];
  }
  return names.sort().map(name => {
    const dir = join(root, name);
    const record = readRecord(dir);
    return { name, dir, record, alive: record !== undefined && isSupervisorAlive(record.pid) };
  });
}

/** What an exported KUBECONFIG means for `up`. */
export type KubeconfigDiagnosis =
  | { kind: 'unset' }
  /** Not a local stack's: the cluster to join instead of starting a control plane. */
  | { kind: 'external'; path: string }
  /** A running local stack's kubeconfig. */
  | { kind: 'local-running'; path: string; record: StackRecord }
  /** The kubeconfig path of a local stack that is not running (stopped, killed, or never started). */
  | { kind: 'local-stopped'; path: string; name: string };

export function diagnoseKubeconfig(
  value: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): KubeconfigDiagnosis {
  if (!value) return { kind: 'unset' };
  // A list of files (a:b) is the user's own arrangement, never one a stack printed.
  if (value.includes(':')) return { kind: 'external', path: value };
  const path = resolve(value);
  // The old start.sh removed its file on stop, so one that exists belongs to a running control plane.
  if (path === resolve(legacyKubeconfigPath(env)) && !existsSync(path)) {
    return { kind: 'local-stopped', path, name: 'local' };
  }
  const root = resolve(stacksRoot(env));
  if (dirname(dirname(path)) !== root || !path.endsWith('/kubeconfig')) return { kind: 'external', path };
  const name = dirname(path).slice(root.length + 1);
  const record = readRecord(dirname(path));
  if (record && isSupervisorAlive(record.pid)) return { kind: 'local-running', path, record };
  return { kind: 'local-stopped', path, name };
}
