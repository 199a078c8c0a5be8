import { readFileSync } from 'node:fs';

/** Peak resident memory and CPU time of one process, read from /proc (Linux). */
export interface ProcessUsage {
  peakRssBytes: number;
  cpuSeconds: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function read(pid: number): ProcessUsage | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { peakRssBytes: Number(hwm?.[1] ?? 0) * 1024, cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/**
 * Samples a process until stopped. VmHWM is the kernel's own high-water mark, so the peak is exact
 * whatever the sampling interval; CPU time is the last value seen before the process ends.
 */
export class ProcessSampler {
  private last: ProcessUsage = { peakRssBytes: 0, cpuSeconds: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  sample(): ProcessUsage {
    const now = read(this.pid);
    if (now)
      this.last = {
        peakRssBytes: Math.max(this.last.peakRssBytes, now.peakRssBytes),
        cpuSeconds: now.cpuSeconds,
      };
    return this.last;
  }

  stop(): ProcessUsage {
    clearInterval(this.timer);
    return this.sample();
  }
}
