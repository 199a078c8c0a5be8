/** Label values of one metric sample. */
export type MetricLabels = Record<string, string>;

export interface MetricCounter {
  add(value?: number, labels?: MetricLabels): void;
}
export interface MetricGauge {
  set(value: number, labels?: MetricLabels): void;
}
export interface MetricHistogram {
  observe(value: number, labels?: MetricLabels): void;
}

/**
 * Where vkubelet and providers register their metrics. Core ships a prom-client adapter served on the
 * metrics port; an embedder may plug in another backend. Registering the same name twice returns the
 * same instrument.
 */
export interface MetricMeter {
  counter(name: string, help: string, labelNames?: readonly string[]): MetricCounter;
  gauge(name: string, help: string, labelNames?: readonly string[]): MetricGauge;
  /** `buckets` in the unit of the observed values (seconds for latencies). */
  histogram(
    name: string,
    help: string,
    labelNames?: readonly string[],
    buckets?: readonly number[],
  ): MetricHistogram;
}

/** A meter whose instruments record nothing. */
export const noopMeter: MetricMeter = {
  counter: () => ({ add() {} }),
  gauge: () => ({ set() {} }),
  histogram: () => ({ observe() {} }),
};
