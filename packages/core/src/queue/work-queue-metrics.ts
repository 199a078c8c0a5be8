import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from '@vkubelet/provider-kit';

/** The instruments of one queue, already bound to its `name` label. */
export interface WorkQueueMetrics {
  depth: MetricGauge;
  adds: MetricCounter;
  retries: MetricCounter;
  duration: MetricHistogram;
  latency: MetricHistogram;
}

/** Seconds; from sub-millisecond handler runs to the 5-minute backoff cap. */
const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300] as const;

export function createWorkQueueMetrics(meter: MetricMeter, name: string): WorkQueueMetrics {
  const labels = { name };
  const depth = meter.gauge('vkubelet_workqueue_depth', 'Keys waiting in the work queue.', ['name']);
  const adds = meter.counter('vkubelet_workqueue_adds_total', 'Keys added to the work queue.', ['name']);
  const retries = meter.counter(
    'vkubelet_workqueue_retries_total',
    'Keys re-queued with backoff after their handler failed.',
    ['name'],
  );
  const duration = meter.histogram(
    'vkubelet_workqueue_work_duration_seconds',
    'Time a handler took to process one key.',
    ['name'],
    BUCKETS,
  );
  const latency = meter.histogram(
    'vkubelet_workqueue_queue_duration_seconds',
    'Time a key waited between becoming due and a worker starting on it.',
    ['name'],
    BUCKETS,
  );
  return {
    depth: { set: value => depth.set(value, labels) },
    adds: { add: (value = 1) => adds.add(value, labels) },
    retries: { add: (value = 1) => retries.add(value, labels) },
    duration: { observe: value => duration.observe(value, labels) },
    latency: { observe: value => latency.observe(value, labels) },
  };
}
