/**
 * Wakes everyone waiting for "something changed": blocking queries on the store, log followers on a
 * task. A wait ends at the next wake(), after `timeoutMs`, or when `signal` aborts.
 */
export class Wakeup {
  private sleepers = new Set<() => void>();

  wait(signal: AbortSignal, timeoutMs = Infinity): Promise<void> {
    return new Promise(resolve => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => end(), Math.max(0, timeoutMs)) : undefined;
      const end = () => {
        clearTimeout(timer);
        this.sleepers.delete(end);
        signal.removeEventListener('abort', end);
        resolve();
      };
      this.sleepers.add(end);
      signal.addEventListener('abort', end, { once: true });
    });
  }

  wake(): void {
    const sleepers = this.sleepers;
    this.sleepers = new Set();
    for (const end of sleepers) end();
  }
}
