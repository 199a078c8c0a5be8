import type { ContainerLog } from '@vkubelet/provider-kit/mock';

import { Wakeup } from '../state/wakeup.js';

export type LogType = 'stdout' | 'stderr';

/**
 * A task's log files as a Nomad client keeps them (`alloc/logs/<task>.stdout.0`): one byte stream per
 * type across every run of the task, restarts appending to it, addressed by byte offset. The runs'
 * output lives in the mock's ContainerLogs; this joins them.
 */
export class TaskLogs {
  private readonly runs: ContainerLog[] = [];
  private finished = false;
  private readonly changes = new Wakeup();

  constructor(readonly task: string) {}

  static fileName(task: string, type: LogType): string {
    return `alloc/logs/${task}.${type}.0`;
  }

  /** A run of the task started with this log (the same log twice is ignored). */
  addRun(log: ContainerLog): void {
    if (this.runs.includes(log)) return;
    this.runs.push(log);
    this.changes.wake();
  }

  /** The task is dead: followers end once they have read everything. */
  finish(): void {
    this.finished = true;
    this.changes.wake();
  }

  get started(): boolean {
    return this.runs.length > 0;
  }

  /** Bytes written so far. */
  async size(type: LogType, signal: AbortSignal): Promise<number> {
    let size = 0;
    for await (const chunk of this.read(type, 0, false, signal)) size += chunk.length;
    return size;
  }

  /**
   * The bytes of the `type` stream from offset `from` on; with `follow`, then new output as it comes,
   * until the task is dead or `signal` aborts.
   */
  async *read(type: LogType, from: number, follow: boolean, signal: AbortSignal): AsyncGenerator<Buffer> {
    let offset = 0;
    for (let run = 0; ; run++) {
      while (run >= this.runs.length) {
        if (!follow || this.finished || signal.aborted) return;
        await this.changes.wait(signal);
      }
      const log = this.runs[run]!;
      // A run still going is followed to its end; later runs only exist once it ended.
      const entries = follow ? log.readFrom(0, signal) : log.read(false, signal);
      for await (const entry of entries) {
        if (typeof entry !== 'object' || entry.stream !== type) continue;
        const bytes = Buffer.from(`${entry.text}\n`);
        const start = offset;
        offset += bytes.length;
        if (offset <= from) continue;
        yield start >= from ? bytes : bytes.subarray(from - start);
      }
      if (signal.aborted) return;
    }
  }
}
