import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from './prom-client-parts.js';

import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricLabels,
  MetricMeter,
} from '@vkubelet/provider-kit';

type Instrument = InstanceType<typeof Counter> | InstanceType<typeof Gauge> | InstanceType<typeof Histogram>;

/**
 * provider-kit's MetricMeter on a prom-client registry of its own (not the global one, so several
 * agents in one process, as in tests, do not collide). Registering a name twice returns the first
 * instrument, so independent parts may declare the metrics they share.
 */
export class PrometheusMeter implements MetricMeter {
  readonly registry = new Registry();
  private readonly instruments = new Map<string, Instrument>();

  constructor(options: { defaultMetrics?: boolean; prefix?: string } = {}) {
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics(this.registry, options.prefix ?? 'vkubelet_');
    }
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): MetricCounter {
    const counter = this.instrument(
      name,
      () => new Counter({ name, help, labelNames, registers: [this.registry] }),
    );
    return {
      add: (value = 1, labels?: MetricLabels) => (labels ? counter.inc(labels, value) : counter.inc(value)),
    };
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): MetricGauge {
    const gauge = this.instrument(
      name,
      () => new Gauge({ name, help, labelNames, registers: [this.registry] }),
    );
    return {
      set: (value: number, labels?: MetricLabels) => (labels ? gauge.set(labels, value) : gauge.set(value)),
    };
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ): MetricHistogram {
    const histogram = this.instrument(
      name,
      () => new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] }),
    );
    return {
      observe: (value: number, labels?: MetricLabels) =>
        labels ? histogram.observe(labels, value) : histogram.observe(value),
    };
  }

  /** The registry in Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private instrument<T extends Instrument>(name: string, make: () => T): T {
    const existing = this.instruments.get(name);
    if (existing) return existing as T;
    const created = make();
    this.instruments.set(name, created);
    return created;
  }
}
