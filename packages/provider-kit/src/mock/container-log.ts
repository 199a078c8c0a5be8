import { END_OF_HISTORY, type LogEntry, type LogItem } from '../provider.js';

/**
 * The output of one run (attempt) of a container: lines kept in memory with their times, and live
 * readers woken as lines arrive. Partial writes are held until their newline, like a container
 * runtime's log driver does.
 */
export class ContainerLog {
  private readonly entries: LogEntry[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly partial = { stdout: '', stderr: '' };
  private closed = false;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Appends output; complete lines become entries. */
  write(text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (this.closed) return;
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    if (lines.length === 0) return;
    const time = this.now();
    for (const line of lines) this.entries.push({ time, text: line, stream });
    this.wake();
  }

  /** The run ended: flush partial lines and end every follower. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.write('\n', stream);
    }
    this.closed = true;
    this.wake();
  }

  get lineCount(): number {
    return this.entries.length;
  }

  /** Lines so far; with `follow`, END_OF_HISTORY then new lines until the run ends or `signal` aborts. */
  async *read(follow: boolean, signal: AbortSignal): AsyncGenerator<LogItem, void, undefined> {
    let next = 0;
    const historyEnd = this.entries.length;
    while (next < historyEnd) yield this.entries[next++]!;
    if (!follow) return;
    yield END_OF_HISTORY;
    yield* this.readFrom(next, signal);
  }

  /** Lines from index `from` on, live, until the run ends or `signal` aborts. */
  async *readFrom(from: number, signal: AbortSignal): AsyncGenerator<LogEntry, void, undefined> {
    let next = from;
    for (;;) {
      while (next < this.entries.length) yield this.entries[next++]!;
      if (this.closed || signal.aborted) return;
      await this.nextWrite(signal);
    }
  }

  private nextWrite(signal: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
