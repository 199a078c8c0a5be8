import { readdirSync, readFileSync } from 'node:fs';

import { ProcessSampler, type ProcessUsage, type UsageWindow } from './process-sampler.js';

interface ProcessInfo {
  name: string;
  argv: string[];
}

function processes(): Map<number, ProcessInfo> {
  const found = new Map<number, ProcessInfo>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      found.set(pid, { name: argv[0]!.split('/').pop()!, argv });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** The control plane's own programs; agents (whose kubeconfigs sit in its directory too) are not. */
const COMPONENTS = new Set(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']);

/**
 * The control plane's processes: the components whose command line mentions its directory
 * (kube-apiserver and the others keep their certificates there), plus the etcd the API server talks
 * to (its data sits elsewhere). Agents are left out, whichever program they are.
 */
export function controlPlanePids(dir: string): Map<number, string> {
  const all = processes();
  const found = new Map<number, string>();
  const etcdUrls = new Set<string>();
  for (const [pid, { name, argv }] of all) {
    if (!COMPONENTS.has(name) || !argv.some(arg => arg.includes(dir))) continue;
    found.set(pid, name);
    for (const arg of argv) {
      if (arg.startsWith('--etcd-servers=')) for (const url of arg.slice(15).split(',')) etcdUrls.add(url);
    }
  }
  for (const [pid, { name, argv }] of all) {
    const listens =
      argv
        .find(arg => arg.startsWith('--listen-client-urls='))
        ?.slice(21)
        .split(',') ?? [];
    if (name === 'etcd' && listens.some(url => etcdUrls.has(url))) found.set(pid, name);
  }
  return found;
}

/** Samples every control-plane process so the agent's share of the machine can be told apart. */
export class ControlPlaneSampler {
  private readonly samplers: Map<string, ProcessSampler>;

  constructor(dir: string) {
    this.samplers = new Map(
      [...controlPlanePids(dir)].map(([pid, name]) => [`${name}#${pid}`, new ProcessSampler(pid)]),
    );
  }

  /** Starts a usage window on every component; `end()` gives each one's figures within it. */
  window(): { end(): Record<string, ProcessUsage> } {
    const windows: [string, UsageWindow][] = [...this.samplers].map(([name, sampler]) => [
      name.split('#')[0]!,
      sampler.window(),
    ]);
    let ended: Record<string, ProcessUsage> | undefined;
    return {
      end: () => (ended ??= Object.fromEntries(windows.map(([name, window]) => [name, window.end()]))),
    };
  }

  stop(): Record<string, ProcessUsage> {
    return Object.fromEntries(
      [...this.samplers].map(([name, sampler]) => [name.split('#')[0]!, sampler.stop()]),
    );
  }
}
