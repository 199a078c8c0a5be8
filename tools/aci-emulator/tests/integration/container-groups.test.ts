import type { ContainerGroup } from '@azure/arm-containerinstance';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { eventually, groupSpec, startHarness, type Harness } from './helpers.js';

const poll = { updateIntervalInMs: 20 };

describe('container groups through the real SDK', () => {
  let h: Harness;
  let rg: string;
  const get = (name: string) => h.client.containerGroups.get(rg, name);
  const create = (name: string, spec: ContainerGroup) =>
    h.client.containerGroups.beginCreateOrUpdateAndWait(rg, name, spec, poll);
  const command = (script: string) => ({ command: ['sh', '-c', script] });

  beforeAll(async () => {
    h = await startHarness();
    rg = h.emulator.resourceGroup;
  });
  afterAll(() => h?.emulator.stop());
  afterEach(() => {
    h.emulator.faults.reset();
    // Everything the SDK sent and the emulator answered must fit Azure's definition.
    expect(h.emulator.faithfulnessViolations()).toEqual([]);
  });

  it('creates a group through Pending and Creating to Succeeded, polled by the SDK, and runs it', async () => {
    h.emulator.faults.setProvisioningDelays({ pendingMs: 500, creatingMs: 500 });
    const poller = await h.client.containerGroups.beginCreateOrUpdate(
      rg,
      'web',
      groupSpec(h.emulator.location, command('echo hello; sleep 60')),
      poll,
    );
    const done = poller.pollUntilDone();
    const seen: string[] = [];
    while (!poller.isDone()) {
      seen.push((await get('web')).provisioningState ?? '');
      await sleep(20);
    }
    const group = await done;
    expect(seen).toContain('Pending');
    expect(seen).toContain('Creating');
    expect(group.provisioningState).toBe('Succeeded');
    expect(group.instanceView?.state).toBe('Running');
    const view = group.containers[0]?.instanceView;
    expect(view?.restartCount).toBe(0);
    expect(view?.currentState?.state).toBe('Running');
    expect(view?.currentState?.startTime).toBeInstanceOf(Date);
    expect(view?.events?.map(event => event.name)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    const put = h.emulator
      .requests()
      .find(request => request.method === 'PUT' && request.url.includes('/web?'));
    expect(put?.status).toBe(201);
    const polls = h.emulator.requests().filter(request => request.url.includes('/operations/'));
    expect(polls.length).toBeGreaterThan(1);
  });

  it('updates tags without redeploying, and redeploys a changed spec', async () => {
    const spec = groupSpec(h.emulator.location, command('echo one; sleep 60'));
    await create('upd', spec);
    const started = (await get('upd')).containers[0]?.instanceView?.currentState?.startTime;
    const tagged = await create('upd', { ...spec, tags: { owner: 'a' } });
    expect(tagged.tags).toEqual({ owner: 'a' });
    expect(tagged.containers[0]?.instanceView?.currentState?.startTime).toEqual(started);
    const patched = await h.client.containerGroups.update(rg, 'upd', { tags: { owner: 'b', env: 'test' } });
    expect(patched.tags).toEqual({ owner: 'b', env: 'test' });
    await create('upd', groupSpec(h.emulator.location, command('echo two; sleep 60')));
    const logs = await eventually(
      () => h.client.containers.listLogs(rg, 'upd', 'app'),
      result => result.content === 'two\n',
    );
    expect(logs.content).toBe('two\n');
    const restarted = (await get('upd')).containers[0]?.instanceView?.currentState?.startTime;
    expect(restarted!.getTime()).toBeGreaterThan(started!.getTime());
  });

  it('deletes at once by default, asynchronously with a delete time, and then answers 404', async () => {
    await create('gone', groupSpec(h.emulator.location));
    await h.client.containerGroups.beginDeleteAndWait(rg, 'gone', poll);
    await expect(get('gone')).rejects.toMatchObject({
      name: 'RestError',
      statusCode: 404,
      code: 'ResourceNotFound',
    });

    h.emulator.faults.setProvisioningDelays({ deleteMs: 150 });
    await create('gone-slowly', groupSpec(h.emulator.location));
    const poller = await h.client.containerGroups.beginDelete(rg, 'gone-slowly', poll);
    const deleted = poller.pollUntilDone();
    expect((await get('gone-slowly')).provisioningState).toBe('Deleting');
    await deleted;
    await expect(get('gone-slowly')).rejects.toMatchObject({ statusCode: 404 });
    const deletes = h.emulator.requests().filter(request => request.method === 'DELETE');
    expect(deletes.map(request => request.status)).toEqual([200, 202]);

    // Deleting what is not there succeeds (204), as in ARM.
    await h.client.containerGroups.beginDeleteAndWait(rg, 'never-was', poll);
    expect(h.emulator.requests().at(-1)?.status).toBe(204);
  });

  it('stops, starts and restarts a group in place', async () => {
    await create('cycle', groupSpec(h.emulator.location, command('echo started; sleep 60')));
    await h.client.containerGroups.stop(rg, 'cycle');
    const stopped = await get('cycle');
    expect(stopped.instanceView?.state).toBe('Stopped');
    expect(stopped.containers[0]?.instanceView?.currentState).toMatchObject({
      state: 'Terminated',
      detailStatus: 'Killed',
    });

    await h.client.containerGroups.beginStartAndWait(rg, 'cycle', poll);
    const running = await eventually(
      () => get('cycle'),
      group => group.instanceView?.state === 'Running',
    );
    const firstStart = running.containers[0]?.instanceView?.currentState?.startTime;
    expect(await h.client.containers.listLogs(rg, 'cycle', 'app')).toEqual({ content: 'started\n' });

    await sleep(5);
    await h.client.containerGroups.beginRestartAndWait(rg, 'cycle', poll);
    const restarted = await eventually(
      () => get('cycle'),
      group => group.instanceView?.state === 'Running',
    );
    expect(restarted.containers[0]?.instanceView?.currentState?.startTime?.getTime()).toBeGreaterThan(
      firstStart!.getTime(),
    );

    // Starting a running group is a no-op (204).
    await h.client.containerGroups.beginStartAndWait(rg, 'cycle', poll);
    expect(h.emulator.requests().at(-1)).toMatchObject({ method: 'POST', status: 204 });
  });

  it('reports exit codes, restarts and previous states', async () => {
    await create('exits', groupSpec(h.emulator.location, command('echo bye; exit 3')));
    const failed = await eventually(
      () => get('exits'),
      group => group.instanceView?.state === 'Failed',
    );
    expect(failed.provisioningState).toBe('Succeeded');
    expect(failed.containers[0]?.instanceView?.currentState).toMatchObject({
      state: 'Terminated',
      exitCode: 3,
      detailStatus: 'Error',
    });

    await create('done', groupSpec(h.emulator.location, command('echo ok')));
    const done = await eventually(
      () => get('done'),
      group => group.instanceView?.state === 'Succeeded',
    );
    expect(done.containers[0]?.instanceView?.currentState).toMatchObject({
      state: 'Terminated',
      exitCode: 0,
      detailStatus: 'Completed',
    });

    await create(
      'crashes',
      groupSpec(h.emulator.location, command('exit 2'), { restartPolicy: 'OnFailure' }),
    );
    const crashing = await eventually(
      () => get('crashes'),
      group => (group.containers[0]?.instanceView?.restartCount ?? 0) >= 2,
    );
    const view = crashing.containers[0]!.instanceView!;
    expect(view.previousState).toMatchObject({ state: 'Terminated', exitCode: 2, detailStatus: 'Error' });
    expect(crashing.instanceView?.state).toBe('Running');
    const events = Object.fromEntries(view.events!.map(event => [event.name, event]));
    expect(events['Started']?.count).toBeGreaterThanOrEqual(2);
    expect(events['BackOff']).toMatchObject({
      type: 'Warning',
      message: 'Back-off restarting failed container',
    });
  });

  it('runs init containers first, one after the other, and reports them', async () => {
    const spec = groupSpec(h.emulator.location, command('echo app; sleep 60'), {
      initContainers: [
        { name: 'init-a', image: 'busybox:1.36', command: ['sh', '-c', 'echo a; sleep 0.05'] },
        { name: 'init-b', image: 'busybox:1.36', command: ['sh', '-c', 'echo b'] },
      ],
    });
    await create('inits', spec);
    const group = await eventually(
      () => get('inits'),
      g => g.instanceView?.state === 'Running',
    );
    const [a, b] = group.initContainers!.map(init => init.instanceView!.currentState!);
    expect(a).toMatchObject({ state: 'Terminated', exitCode: 0 });
    expect(b).toMatchObject({ state: 'Terminated', exitCode: 0 });
    expect(a!.finishTime!.getTime()).toBeLessThanOrEqual(b!.startTime!.getTime());
    expect(await h.client.containers.listLogs(rg, 'inits', 'init-a')).toEqual({ content: 'a\n' });
    expect(await h.client.containers.listLogs(rg, 'inits', 'app')).toEqual({ content: 'app\n' });
  });

  it('passes secure environment variables to the process but never returns their values', async () => {
    const spec = groupSpec(h.emulator.location, command('env; sleep 60'));
    spec.containers[0]!.environmentVariables = [
      { name: 'PLAIN', value: '1' },
      { name: 'SECRET', secureValue: 's3cret' },
    ];
    const group = await create('env', spec);
    expect(group.containers[0]?.environmentVariables).toEqual([
      { name: 'PLAIN', value: '1' },
      { name: 'SECRET' },
    ]);
    const logs = await eventually(
      () => h.client.containers.listLogs(rg, 'env', 'app'),
      result => (result.content ?? '').includes('SECRET='),
    );
    expect(logs.content).toContain('PLAIN=1\n');
    expect(logs.content).toContain('SECRET=s3cret\n');
  });

  it('reports usage against the quotas, and the region capabilities', async () => {
    const groups = [];
    for await (const group of h.client.containerGroups.listByResourceGroup(rg)) groups.push(group);
    const cores = groups.reduce(
      (sum, group) => sum + Math.ceil(group.containers.reduce((c, x) => c + x.resources.requests.cpu, 0)),
      0,
    );
    const entries = [];
    for await (const entry of h.client.location.listUsage(h.emulator.location)) entries.push(entry);
    const usage = Object.fromEntries(entries.map(entry => [entry.name?.value, entry]));
    expect(usage['ContainerGroups']).toMatchObject({
      unit: 'Count',
      currentValue: groups.length,
      limit: 100,
    });
    expect(usage['StandardCores']).toMatchObject({ currentValue: cores, limit: 100 });
    expect(usage['StandardV100Cores']).toMatchObject({ currentValue: 0, limit: 0 });
    const capabilities = [];
    for await (const capability of h.client.location.listCapabilities(h.emulator.location))
      capabilities.push(capability);
    expect(capabilities).toContainEqual(
      expect.objectContaining({
        osType: 'Linux',
        ipAddressType: 'Public',
        gpu: 'None',
        capabilities: expect.objectContaining({ maxCpu: 4, maxMemoryInGB: 16 }),
      }),
    );
  });
});

describe('listing', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ pageSize: 2, resourceGroups: ['one', 'two'] })));
  afterAll(() => h?.emulator.stop());

  it('lists by resource group and by subscription, page by page through nextLink, without instance views', async () => {
    const spec = groupSpec(h.emulator.location);
    for (const [group, name] of [
      ['one', 'c'],
      ['one', 'a'],
      ['one', 'b'],
      ['two', 'x'],
      ['two', 'y'],
    ] as const) {
      await h.client.containerGroups.beginCreateOrUpdate(group, name, spec, poll);
    }
    const inOne = [];
    for await (const group of h.client.containerGroups.listByResourceGroup('one')) inOne.push(group);
    expect(inOne.map(group => group.name)).toEqual(['a', 'b', 'c']);
    expect(
      inOne.every(
        group => group.instanceView === undefined && group.containers[0]?.instanceView === undefined,
      ),
    ).toBe(true);
    const pages = [];
    for await (const page of h.client.containerGroups.list().byPage())
      pages.push(page.map(group => group.name));
    expect(pages).toEqual([['a', 'b'], ['c', 'x'], ['y']]);
    const lists = h.emulator
      .requests()
      .filter(request => request.method === 'GET' && /containerGroups\?/.test(request.url));
    expect(lists).toHaveLength(5);
    expect(lists.filter(request => request.url.includes('&$skipToken='))).toHaveLength(3);
    expect(h.emulator.faithfulnessViolations()).toEqual([]);
  });
});
