import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { eventually, groupPath, groupSpec, rawRequest, startHarness, type Harness } from './helpers.js';

const poll = { updateIntervalInMs: 20 };

describe('fault switches', () => {
  let h: Harness;
  let rg: string;
  const create = (name: string) =>
    h.client.containerGroups.beginCreateOrUpdateAndWait(rg, name, groupSpec(h.emulator.location), poll);
  const statusesOf = (path: string) =>
    h.emulator
      .requests()
      .filter(r => r.url.startsWith(path))
      .map(r => r.status);

  beforeAll(async () => {
    h = await startHarness();
    rg = h.emulator.resourceGroup;
  });
  afterAll(() => h?.emulator.stop());
  afterEach(() => h.emulator.faults.reset());

  it('throttles with 429 and Retry-After; the SDK waits and retries', async () => {
    await create('busy');
    h.emulator.faults.throttle({ requests: 2, methods: ['GET'], pathIncludes: '/containerGroups/busy' });
    const started = Date.now();
    const group = await h.client.containerGroups.get(rg, 'busy');
    expect(group.name).toBe('busy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(statusesOf(groupPath(h.emulator, 'busy')).slice(-3)).toEqual([429, 429, 200]);
  });

  it('keeps throttling during a storm until the SDK gives up with a 429 RestError', async () => {
    h.emulator.faults.throttle({ durationMs: 60_000, pathIncludes: '/usages' });
    const raw = await rawRequest(
      h.emulator,
      'GET',
      `/subscriptions/${h.emulator.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${h.emulator.location}/usages?api-version=2023-05-01`,
    );
    expect(raw.status).toBe(429);
    expect(raw.headers['retry-after']).toBe('1');
    expect(raw.body.error.code).toBe('TooManyRequests');
    await expect(h.client.location.listUsage(h.emulator.location).next()).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 429,
      code: 'TooManyRequests',
    });
  });

  it('answers server errors the SDK retries', async () => {
    await create('flaky');
    h.emulator.faults.failRequests({ requests: 1, pathIncludes: '/containerGroups/flaky' });
    expect((await h.client.containerGroups.get(rg, 'flaky')).name).toBe('flaky');
    expect(statusesOf(groupPath(h.emulator, 'flaky')).slice(-2)).toEqual([500, 200]);
    h.emulator.faults.failRequests({ requests: 1, status: 503, pathIncludes: '/containerGroups/flaky' });
    const raw = await rawRequest(
      h.emulator,
      'GET',
      `${groupPath(h.emulator, 'flaky')}?api-version=2023-05-01`,
    );
    expect(raw).toMatchObject({ status: 503, body: { error: { code: 'ServiceUnavailable' } } });
  });

  it('slows provisioning from the next deployment on', async () => {
    h.emulator.faults.setProvisioningDelays({ pendingMs: 400, creatingMs: 100 });
    const started = Date.now();
    await create('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('refuses creates over the quota with ContainerGroupQuotaReached', async () => {
    const groups = [];
    for await (const group of h.client.containerGroups.list()) groups.push(group);
    h.emulator.faults.setQuota({ containerGroups: groups.length });
    await expect(
      h.client.containerGroups.beginCreateOrUpdateAndWait(
        rg,
        'one-too-many',
        groupSpec(h.emulator.location),
        poll,
      ),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'ContainerGroupQuotaReached',
      message: `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'ContainerGroups' exceeded in region '${h.emulator.location}'. Limit: '${groups.length}', Usage: '${groups.length}' Requested: '1'.`,
    });
    h.emulator.faults.setQuota({ containerGroups: 100, standardCores: groups.length });
    const big = groupSpec(h.emulator.location);
    big.containers[0]!.resources.requests.cpu = 2;
    await expect(
      h.client.containerGroups.beginCreateOrUpdateAndWait(rg, 'big', big, poll),
    ).rejects.toMatchObject({
      code: 'ContainerGroupQuotaReached',
      message: expect.stringContaining("quota 'StandardCores'"),
    });
  });

  it('deletes a group behind the client’s back', async () => {
    await create('evicted');
    expect(h.emulator.faults.deleteContainerGroup({ resourceGroup: rg, name: 'evicted' })).toBe(true);
    await expect(h.client.containerGroups.get(rg, 'evicted')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    expect(h.emulator.faults.deleteContainerGroup({ resourceGroup: rg, name: 'evicted' })).toBe(false);
  });

  it('makes a running container exit; its restart policy restarts it', async () => {
    const spec = groupSpec(
      h.emulator.location,
      { command: ['sh', '-c', 'sleep 600'] },
      { restartPolicy: 'Always' },
    );
    await h.client.containerGroups.beginCreateOrUpdateAndWait(rg, 'oom', spec, poll);
    await eventually(
      () => h.client.containerGroups.get(rg, 'oom'),
      g => g.containers[0]?.instanceView?.currentState?.state === 'Running',
    );
    expect(
      h.emulator.faults.exitContainer({ resourceGroup: rg, name: 'oom', container: 'app', exitCode: 137 }),
    ).toBe(true);
    const group = await eventually(
      () => h.client.containerGroups.get(rg, 'oom'),
      g =>
        g.containers[0]?.instanceView?.restartCount === 1 &&
        g.containers[0].instanceView.currentState?.state === 'Running',
    );
    expect(group.containers[0]?.instanceView?.previousState).toMatchObject({
      state: 'Terminated',
      exitCode: 137,
    });
  });

  it('fails a deployment whose image cannot be pulled', async () => {
    h.emulator.faults.failImagePulls({ imageIncludes: 'broken' });
    const spec = groupSpec(h.emulator.location, { image: 'example.com/broken:1' });
    await expect(h.client.containerGroups.beginCreateOrUpdateAndWait(rg, 'pull', spec, poll)).rejects.toThrow(
      /Failed to pull image "example.com\/broken:1"/,
    );
    const group = await h.client.containerGroups.get(rg, 'pull');
    expect(group.provisioningState).toBe('Failed');
    expect(group.instanceView?.state).toBe('Failed');
    const view = group.containers[0]?.instanceView;
    expect(view?.currentState).toMatchObject({ state: 'Waiting', detailStatus: 'ErrImagePull' });
    expect(view?.events?.map(event => event.name)).toEqual(['Pulling', 'Failed', 'BackOff']);
  });

  it('flips switches through the admin API for a client in another process', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      rawRequest(h.emulator, method, `/__emulator/${path}`, {
        token: null,
        ...(body !== undefined ? { body } : {}),
      });
    expect(
      (await admin('POST', 'faults/throttle', { requests: 1, pathIncludes: '/containerGroups/busy' })).status,
    ).toBe(200);
    const throttled = await rawRequest(
      h.emulator,
      'GET',
      `${groupPath(h.emulator, 'busy')}?api-version=2023-05-01`,
    );
    expect(throttled.status).toBe(429);
    expect(
      await admin('POST', 'faults/deleteContainerGroup', { resourceGroup: rg, name: 'busy' }),
    ).toMatchObject({
      status: 200,
      body: { result: true },
    });
    const state = await admin('GET', 'state');
    expect(state.body.groups.map((group: { name: string }) => group.name)).not.toContain('busy');
    expect((await admin('POST', 'faults/nonsense', {})).status).toBe(404);
    expect((await admin('POST', 'faults/failRequests', { status: 418 })).status).toBe(400);
    expect((await admin('DELETE', 'faults')).status).toBe(204);
    const log = await admin('GET', 'requests');
    expect(log.body.some((entry: { status: number }) => entry.status === 429)).toBe(true);
  });
});
