import type { V1Pod } from '@kubernetes/client-node';
import type { MetricMeter } from '@vkubelet/provider-kit';

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/** Publishes `vkubelet_pods{phase}` from the informer every `intervalMs` until `signal` aborts. */
export async function publishPodPhases(
  meter: MetricMeter,
  pods: () => V1Pod[],
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  const gauge = meter.gauge('vkubelet_pods', 'Pods bound to this node, by phase', ['phase']);
  const count = (): void => {
    const counts = new Map(PHASES.map(phase => [phase, 0]));
    for (const pod of pods()) {
      const phase = pod.status?.phase ?? 'Pending';
      counts.set(phase, (counts.get(phase) ?? 0) + 1);
    }
    for (const [phase, value] of counts) gauge.set(value, { phase });
  };
  count();
  const timer = setInterval(count, intervalMs);
  timer.unref();
  await new Promise<void>(resolve => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(timer);
}
