import type { MetricCounter, MetricGauge, MetricMeter } from '@vkubelet/provider-kit';

export interface InformerMetrics {
  /** Labelled further with `reason`: `initial` or `relist` (after 410 Gone). */
  relists: MetricCounter;
  stalls: MetricCounter;
  failures: MetricCounter;
  objects: MetricGauge;
}

export function createInformerMetrics(meter: MetricMeter, informer: string): InformerMetrics {
  const relists = meter.counter(
    'vkubelet_informer_lists_total',
    'Full lists of an informer: the initial one, and relists after the resourceVersion expired.',
    ['informer', 'reason'],
  );
  const stalls = meter.counter(
    'vkubelet_informer_watch_stalls_total',
    'Watches reopened because no event or bookmark arrived within the stall timeout.',
    ['informer'],
  );
  const failures = meter.counter(
    'vkubelet_informer_failures_total',
    'Failed lists or watches, retried with backoff.',
    ['informer'],
  );
  const objects = meter.gauge('vkubelet_informer_objects', 'Objects in the informer cache.', ['informer']);
  return {
    relists: { add: (value = 1, labels) => relists.add(value, { ...labels, informer }) },
    stalls: { add: (value = 1) => stalls.add(value, { informer }) },
    failures: { add: (value = 1) => failures.add(value, { informer }) },
    objects: { set: value => objects.set(value, { informer }) },
  };
}
