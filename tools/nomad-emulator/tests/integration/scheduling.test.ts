import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startNomadEmulator, type Allocation, type Evaluation, type NomadEmulator } from '../../src/index.js';
import { api, eventTypes, job, register, waitForAllocs } from './helpers.js';

let emulator: NomadEmulator;
beforeEach(async () => {
  emulator = await startNomadEmulator({ nodes: [{ memoryMB: 1024 }, { memoryMB: 1024 }] });
});
afterEach(() => emulator.stop());

const running = (count: number) => (allocs: Allocation[]) =>
  allocs.filter(alloc => alloc.ClientStatus === 'running').length === count;

describe('scheduling', () => {
  it('places Count allocations that go pending → running, with task events, ports and an IP', async () => {
    const registered = await register(
      emulator,
      job(
        'web',
        'echo up; sleep 3600',
        {},
        { Count: 3, Networks: [{ DynamicPorts: [{ Label: 'http' }], ReservedPorts: [] }] },
      ),
    );
    const evaluation = (await api(emulator, 'GET', `/v1/evaluation/${registered.body.EvalID}`))
      .body as Evaluation;
    expect(evaluation).toMatchObject({ TriggeredBy: 'job-register', JobID: 'web', Type: 'service' });
    const allocs = await waitForAllocs(emulator, 'web', running(3));
    expect(allocs.map(alloc => alloc.Name).sort()).toEqual(['web.g[0]', 'web.g[1]', 'web.g[2]']);
    const full = (await api(emulator, 'GET', `/v1/allocation/${allocs[0]!.ID}`)).body as Allocation;
    const network = full.AllocatedResources.Shared.Networks![0]!;
    expect(network.IP).toMatch(/^10\.64\.0\.\d+$/);
    expect(network.DynamicPorts![0]!.Value).toBeGreaterThanOrEqual(20000);
    expect(eventTypes(full)).toEqual(['Received', 'Task Setup', 'Driver', 'Started']);
    expect(full.TaskStates!['main']!.StartedAt).not.toBe('0001-01-01T00:00:00Z');
    const listed = (await api(emulator, 'GET', '/v1/jobs')).body;
    expect(listed[0]).toMatchObject({
      ID: 'web',
      Status: 'running',
      JobSummary: { Summary: { g: { Running: 3 } } },
    });
    expect((await api(emulator, 'GET', `/v1/evaluation/${registered.body.EvalID}`)).body.Status).toBe(
      'complete',
    );
  });

  it('blocks the evaluation when nothing fits, with the reason, and places once a node is added', async () => {
    const registered = await register(
      emulator,
      job(
        'big',
        'sleep 3600',
        {},
        {
          Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'x' }, Resources: { MemoryMB: 2048 } }],
        },
      ),
    );
    let evaluation: Evaluation;
    do {
      evaluation = (await api(emulator, 'GET', `/v1/evaluation/${registered.body.EvalID}?index=1&wait=1s`))
        .body;
    } while (evaluation.Status === 'pending');
    expect(evaluation.Status).toBe('complete');
    expect(evaluation.FailedTGAllocs!['g']).toMatchObject({
      NodesEvaluated: 2,
      NodesExhausted: 2,
      DimensionExhausted: { memory: 2 },
    });
    expect(evaluation.QueuedAllocations).toEqual({ g: 1 });
    const blocked = (await api(emulator, 'GET', `/v1/evaluation/${evaluation.BlockedEval}`))
      .body as Evaluation;
    expect(blocked).toMatchObject({ Status: 'blocked', TriggeredBy: 'queued-allocs' });
    expect((await api(emulator, 'GET', '/v1/job/big')).body.Status).toBe('pending');
    expect((await api(emulator, 'GET', '/v1/job/big/summary')).body.Summary.g.Queued).toBe(1);

    emulator.addNode({ memoryMB: 4096 });
    await waitForAllocs(emulator, 'big', running(1));
    expect((await api(emulator, 'GET', `/v1/evaluation/${evaluation.BlockedEval}`)).body.Status).toBe(
      'complete',
    );
  });

  it('reports a driver no node has, and datacenters without nodes, as Nomad does', async () => {
    const registered = await register(emulator, {
      ...job('odd', 'true'),
      TaskGroups: [{ Name: 'g', Tasks: [{ Name: 'main', Driver: 'qemu', Config: {} }] }],
    });
    await waitForAllocs(emulator, 'odd', () => true);
    const evaluation = (
      await api(emulator, 'GET', `/v1/evaluation/${registered.body.EvalID}?index=1&wait=1s`)
    ).body;
    expect(evaluation.FailedTGAllocs.g.ConstraintFiltered).toEqual({ 'missing drivers': 2 });
    const elsewhere = await register(emulator, job('far', 'true', { Datacenters: ['dc9'] }));
    const farEval = (await api(emulator, 'GET', `/v1/evaluation/${elsewhere.body.EvalID}?index=1&wait=1s`))
      .body;
    expect(farEval.FailedTGAllocs.g).toMatchObject({ NodesEvaluated: 0, NodesAvailable: {} });
  });

  it('replaces the allocations of a lost node on another node', async () => {
    await register(emulator, job('svc', 'sleep 3600'));
    const [first] = await waitForAllocs(emulator, 'svc', running(1));
    emulator.faults.loseAllocation(first!.ID);
    const allocs = await waitForAllocs(emulator, 'svc', list =>
      list.some(a => a.ClientStatus === 'running' && a.ID !== first!.ID),
    );
    const lost = allocs.find(alloc => alloc.ID === first!.ID)!;
    const replacement = allocs.find(alloc => alloc.ID !== first!.ID)!;
    expect(lost).toMatchObject({
      ClientStatus: 'lost',
      DesiredStatus: 'stop',
      DesiredDescription: 'alloc is lost since its node is down',
      NextAllocation: replacement.ID,
    });
    expect(lost.TaskStates!['main']!.State).toBe('dead');
    expect(replacement.NodeID).not.toBe(first!.NodeID);
    expect((await api(emulator, 'GET', `/v1/allocation/${replacement.ID}`)).body.PreviousAllocation).toBe(
      first!.ID,
    );
    const node = (await api(emulator, 'GET', `/v1/node/${first!.NodeID}`)).body;
    expect(node.Status).toBe('down');
    const evals = (await api(emulator, 'GET', '/v1/job/svc/evaluations')).body as Evaluation[];
    expect(evals.map(e => e.TriggeredBy)).toContain('node-update');
  });

  it('stops everything when the job is deregistered out of band, and purges on request', async () => {
    await register(emulator, job('gone', 'sleep 3600'));
    await waitForAllocs(emulator, 'gone', running(1));
    emulator.faults.deregisterJob('gone');
    const [stopped] = await waitForAllocs(emulator, 'gone', allocs => allocs[0]?.ClientStatus === 'complete');
    expect(stopped).toMatchObject({
      DesiredStatus: 'stop',
      DesiredDescription: 'alloc not needed due to job update',
    });
    expect(eventTypes(stopped!).slice(-3)).toEqual(['Killing', 'Terminated', 'Killed']);
    const stoppedJob = (await api(emulator, 'GET', '/v1/job/gone')).body;
    expect(stoppedJob).toMatchObject({ Stop: true, Status: 'dead', Version: 1 });
    emulator.faults.deregisterJob('gone', { purge: true });
    expect((await api(emulator, 'GET', '/v1/job/gone')).status).toBe(404);
    expect(emulator.listResources()).toEqual([]);
  });

  it('keeps allocations on an unchanged re-register and replaces them when the task changes', async () => {
    const spec = job('app', 'sleep 3600');
    const first = await register(emulator, spec);
    const [original] = await waitForAllocs(emulator, 'app', running(1));
    const again = await register(emulator, spec);
    expect(again.body.JobModifyIndex).toBe(first.body.JobModifyIndex);
    expect((await api(emulator, 'GET', '/v1/job/app')).body.Version).toBe(0);
    await register(emulator, job('app', 'echo v2; sleep 3600'));
    const allocs = await waitForAllocs(emulator, 'app', list =>
      list.some(a => a.ID !== original!.ID && a.ClientStatus === 'running'),
    );
    expect(allocs.find(a => a.ID === original!.ID)).toMatchObject({
      DesiredStatus: 'stop',
      DesiredDescription: 'alloc is being updated due to job update',
    });
    expect(
      (await api(emulator, 'GET', '/v1/job/app/versions')).body.Versions.map(
        (j: { Version: number }) => j.Version,
      ),
    ).toEqual([1, 0]);
  });

  it('scales down from the highest index and replaces a stopped allocation', async () => {
    await register(emulator, job('scale', 'sleep 3600', {}, { Count: 3 }));
    await waitForAllocs(emulator, 'scale', running(3));
    await register(emulator, job('scale', 'sleep 3600', {}, { Count: 2 }));
    const scaled = await waitForAllocs(
      emulator,
      'scale',
      list => list.filter(a => a.DesiredStatus === 'stop').length === 1,
    );
    expect(scaled.find(a => a.DesiredStatus === 'stop')!.Name).toBe('scale.g[2]');

    const victim = scaled.find(a => a.Name === 'scale.g[0]')!;
    const stopped = await api(emulator, 'PUT', `/v1/allocation/${victim.ID}/stop`);
    expect(stopped.body.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    const after = await waitForAllocs(
      emulator,
      'scale',
      list =>
        list.filter(a => a.Name === 'scale.g[0]' && a.ClientStatus === 'running').length === 1 &&
        list.some(a => a.ID === victim.ID && a.ClientStatus === 'complete'),
    );
    const replacement = after.find(a => a.Name === 'scale.g[0]' && a.ID !== victim.ID)!;
    expect(after.find(a => a.ID === victim.ID)).toMatchObject({
      DesiredDescription: 'alloc is being migrated',
      NextAllocation: replacement.ID,
    });
  });

  it('enforces the job modify index for create-only registration', async () => {
    const spec = job('once', 'sleep 3600');
    const created = await api(emulator, 'PUT', '/v1/jobs', {
      body: { Job: spec, EnforceIndex: true, JobModifyIndex: 0 },
    });
    expect(created.status).toBe(200);
    const again = await api(emulator, 'PUT', '/v1/jobs', {
      body: { Job: spec, EnforceIndex: true, JobModifyIndex: 0 },
    });
    expect(again).toMatchObject({ status: 500, body: 'Enforcing job modify index 0: job already exists' });
  });

  it('runs prestart tasks one by one before the main task', async () => {
    await register(emulator, {
      ...job('init', ''),
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [
            { Name: 'main', Driver: 'raw_exec', Config: { command: 'sleep', args: ['3600'] } },
            {
              Name: 'first',
              Driver: 'raw_exec',
              Lifecycle: { Hook: 'prestart' },
              Config: { command: 'echo', args: ['one'] },
            },
            {
              Name: 'second',
              Driver: 'raw_exec',
              Lifecycle: { Hook: 'prestart' },
              Config: { command: 'echo', args: ['two'] },
            },
          ],
        },
      ],
    });
    // The allocation already counts as running while a prestart task runs, as in Nomad.
    const [alloc] = await waitForAllocs(
      emulator,
      'init',
      ([a]) => a?.TaskStates?.['main']?.State === 'running',
    );
    const states = alloc!.TaskStates!;
    expect(states['first']).toMatchObject({ State: 'dead', Failed: false });
    expect(states['second']).toMatchObject({ State: 'dead', Failed: false });
    expect(Date.parse(states['first']!.FinishedAt)).toBeLessThanOrEqual(
      Date.parse(states['second']!.StartedAt),
    );
    expect(Date.parse(states['second']!.FinishedAt)).toBeLessThanOrEqual(
      Date.parse(states['main']!.StartedAt),
    );
  });

  it('waits with placement while slow placement is on', async () => {
    emulator.faults.setPlacementDelay(300);
    const registered = await register(emulator, job('slow', 'sleep 3600'));
    expect((await api(emulator, 'GET', `/v1/evaluation/${registered.body.EvalID}`)).body.Status).toBe(
      'pending',
    );
    expect((await api(emulator, 'GET', '/v1/job/slow/allocations')).body).toEqual([]);
    await waitForAllocs(emulator, 'slow', running(1));
  });
});
