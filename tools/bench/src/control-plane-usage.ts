import { readdirSync, readFileSync } from 'node:fs';

import { ProcessSampler, type ProcessUsage } from './process-sampler.js';

/** PIDs of the processes whose command line mentions `marker` (the control plane's own directory). */
export function pidsMentioning(marker: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline.some(arg => arg.includes(marker))) found.set(pid, cmdline[0]!.split('/').pop()!);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Samples every control-plane process so the agent's share of the machine can be told apart. */
export class ControlPlaneSampler {
  private readonly samplers: Map<string, ProcessSampler>;

  constructor(dir: string) {
    this.samplers = new Map(
      [...pidsMentioning(dir)].map(([pid, name]) => [`${name}#${pid}`, new ProcessSampler(pid)]),
    );
  }

  stop(): Record<string, ProcessUsage> {
    return Object.fromEntries(
      [...this.samplers].map(([name, sampler]) => [name.split('#')[0]!, sampler.stop()]),
    );
  }
}
