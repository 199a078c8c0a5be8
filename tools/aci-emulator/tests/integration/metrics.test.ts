import { MetricsQueryClient } from '@azure/monitor-query';
import { afterAll, beforeAll, expect, it } from 'vitest';

import {
  credentialFor,
  eventually,
  groupPath,
  groupSpec,
  rawRequest,
  startHarness,
  type Harness,
} from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  const spec = groupSpec(h.emulator.location, { command: ['sh', '-c', 'sleep 600'] });
  spec.containers.push({ ...spec.containers[0]!, name: 'sidecar' });
  await h.client.containerGroups.beginCreateOrUpdateAndWait(h.emulator.resourceGroup, 'measured', spec, {
    updateIntervalInMs: 20,
  });
});
afterAll(() => h?.emulator.stop());

it('serves CPU and memory per container to the Azure Monitor metrics client', async () => {
  const metrics = new MetricsQueryClient(credentialFor(h.emulator), {
    endpoint: h.emulator.armEndpoint,
    tlsOptions: { ca: h.emulator.caPem },
  });
  const end = new Date(Date.now() + 60_000);
  const result = await metrics.queryResource(groupPath(h.emulator, 'measured'), ['CpuUsage', 'MemoryUsage'], {
    timespan: { startTime: new Date(end.getTime() - 5 * 60_000), endTime: end },
    granularity: 'PT1M',
    aggregations: ['Average', 'Maximum'],
    filter: "containerName eq '*'",
  });
  expect(result.granularity).toBe('PT1M');
  expect(result.resourceRegion).toBe(h.emulator.location);
  const [cpu, memory] = result.metrics;
  expect(cpu).toMatchObject({ name: 'CpuUsage', unit: 'Count' });
  expect(memory).toMatchObject({ name: 'MemoryUsage', unit: 'Bytes' });
  expect(cpu!.timeseries.map(series => series.metadataValues?.[0]?.value)).toEqual(['app', 'sidecar']);
  for (const series of [...cpu!.timeseries, ...memory!.timeseries]) {
    const points = series.data ?? [];
    expect(points).toHaveLength(6);
    // Minutes before the containers started carry no value; the current one does.
    const measured = points.filter(point => point.average !== undefined);
    expect(measured.length).toBeGreaterThanOrEqual(1);
    for (const point of measured) expect(point.maximum).toBe(point.average);
  }
  expect(memory!.timeseries[0]!.data!.at(-2)?.average).toBeGreaterThanOrEqual(8 * 1024 * 1024);
});

it('sums the containers without a dimension filter, and answers Monitor errors unwrapped', async () => {
  const path = `${groupPath(h.emulator, 'measured')}/providers/microsoft.Insights/metrics`;
  const whole = await eventually(
    () => rawRequest(h.emulator, 'GET', `${path}?api-version=2018-01-01&metricnames=CpuUsage&interval=PT1M`),
    answer => answer.status === 200,
  );
  expect(whole.body.value[0].timeseries).toHaveLength(1);
  expect(whole.body.value[0].timeseries[0].metadatavalues).toEqual([]);
  const unknown = await rawRequest(h.emulator, 'GET', `${path}?api-version=2018-01-01&metricnames=GpuUsage`);
  expect(unknown.status).toBe(400);
  expect(unknown.body).toMatchObject({
    code: 'BadRequest',
    message: expect.stringContaining('Valid metrics: CpuUsage,MemoryUsage'),
  });
});
