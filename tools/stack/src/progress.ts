// Progress lines for the terminal: each step says when it starts, that it is still running every
// 10 s, and how long it took.

export interface Progress {
  line(message: string): void;
  /** Runs `work`, announcing it and its duration; a step over 10 s says it is still running. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
}

export function createProgress(
  write: (line: string) => void,
  prefix = '[stack]',
  stillEveryMs = 10_000,
): Progress {
  const line = (message: string): void => write(`${prefix} ${message}`);
  return {
    line,
    async step(label, work) {
      const started = Date.now();
      const seconds = (): string => ((Date.now() - started) / 1000).toFixed(1);
      line(`${label}...`);
      const ticker = setInterval(() => line(`${label}: still running (${seconds()} s)`), stillEveryMs);
      ticker.unref();
      try {
        const result = await work();
        line(`${label}: done in ${seconds()} s`);
        return result;
      } catch (error) {
        line(`${label}: failed after ${seconds()} s`);
        throw error;
      } finally {
        clearInterval(ticker);
      }
    },
  };
}
