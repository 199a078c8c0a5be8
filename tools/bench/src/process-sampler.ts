import { readFileSync } from 'node:fs';

/** Peak resident memory and CPU time of one process, read from /proc (Linux). */
export interface ProcessUsage {
  peakRssBytes: number;
  cpuSeconds: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

interface Reading {
  /** VmHWM: the kernel's high-water mark over the process's life. */
  hwmBytes: number;
  /** VmRSS now. */
  rssBytes: number;
  cpuSeconds: number;
}

function read(pid: number): Reading | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      hwmBytes: Number(hwm?.[1] ?? 0) * 1024,
      rssBytes: Number(rss?.[1] ?? 0) * 1024,
      cpuSeconds: ticks / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

/** Resident memory of a process now (VmRSS), or undefined when it has ended. */
export function currentRssBytes(pid: number): number | undefined {
  return read(pid)?.rssBytes;
}

/** A stretch of time within a sampled process's life: its peak sampled RSS and the CPU it used. */
export class UsageWindow {
  maxRssBytes = 0;
  private readonly startCpu: number;
  private ended: ProcessUsage | undefined;

  constructor(
    private readonly sampler: ProcessSampler,
    startCpu: number,
  ) {
    this.startCpu = startCpu;
  }

  /** @internal */
  observe(reading: Reading): void {
    if (!this.ended) this.maxRssBytes = Math.max(this.maxRssBytes, reading.rssBytes);
  }

  /** Ends the window: the highest RSS sampled in it (every 250 ms) and the CPU used in it. */
  end(): ProcessUsage {
    if (!this.ended) {
      const last = this.sampler.sample();
      this.ended = { peakRssBytes: this.maxRssBytes, cpuSeconds: last.cpuSeconds - this.startCpu };
      this.sampler.close(this);
    }
    return this.ended;
  }
}

/**
 * Samples a process until stopped. VmHWM is the kernel's own high-water mark, so the whole-life peak
 * is exact whatever the sampling interval; windows see the highest VmRSS sampled within them. CPU
 * time is the last value seen before the process ends.
 */
export class ProcessSampler {
  private last: ProcessUsage = { peakRssBytes: 0, cpuSeconds: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly windows = new Set<UsageWindow>();

  constructor(
    readonly pid: number,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  sample(): ProcessUsage {
    const now = read(this.pid);
    if (now) {
      this.last = {
        peakRssBytes: Math.max(this.last.peakRssBytes, now.hwmBytes),
        cpuSeconds: now.cpuSeconds,
      };
      for (const window of this.windows) window.observe(now);
    }
    return this.last;
  }

  /** Starts a window now. */
  window(): UsageWindow {
    const window = new UsageWindow(this, this.sample().cpuSeconds);
    this.windows.add(window);
    const now = read(this.pid);
    if (now) window.observe(now);
    return window;
  }

  /** @internal */
  close(window: UsageWindow): void {
    this.windows.delete(window);
  }

  stop(): ProcessUsage {
    clearInterval(this.timer);
    return this.sample();
  }
}
