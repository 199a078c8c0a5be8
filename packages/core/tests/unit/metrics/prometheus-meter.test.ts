import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { PrometheusMeter } from '../../../src/metrics/prometheus-meter.js';

/** Metric names in a Prometheus text exposition. */
function names(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map(match => match[1]!).sort();
}

describe('PrometheusMeter', () => {
  it("exposes the same default metrics as prom-client's collectDefaultMetrics", async () => {
    const reference = new Registry();
    collectDefaultMetrics({ register: reference, prefix: 'vkubelet_' });
    const meter = new PrometheusMeter();
    expect(names((await meter.render()).body)).toEqual(names(await reference.metrics()));
  });

  it('counts the process CPU time between scrapes', async () => {
    const meter = new PrometheusMeter();
    const cpu = async () =>
      Number(/^vkubelet_process_cpu_seconds_total (\S+)$/m.exec((await meter.render()).body)?.[1]);
    const before = await cpu();
    // Spin for 50 ms of this process's CPU time, not of wall time: on a loaded machine 50 ms of
    // wall time can hold far less CPU time than the assertion needs.
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 50_000) Math.sqrt(Math.random());
    expect(await cpu()).toBeGreaterThan(before + 0.02);
  });

  it('records counters, gauges and histograms, each name registered once', async () => {
    const meter = new PrometheusMeter({ defaultMetrics: false });
    meter.counter('t_total', 'help', ['op']).add(2, { op: 'a' });
    meter.counter('t_total', 'help again', ['op']).add(1, { op: 'a' });
    meter.gauge('t_gauge', 'help').set(7);
    meter.histogram('t_seconds', 'help', [], [1]).observe(0.5);
    const body = (await meter.render()).body;
    expect(body).toContain('t_total{op="a"} 3');
    expect(body).toContain('t_gauge 7');
    expect(body).toContain('t_seconds_bucket{le="1"} 1');
  });
});
