import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startNomadEmulator, type Allocation, type NomadEmulator } from '../../src/index.js';
import { api, eventTypes, job, register, waitForAllocs } from './helpers.js';

const MS = 1_000_000;
let emulator: NomadEmulator;
beforeEach(async () => {
  emulator = await startNomadEmulator();
});
afterEach(() => emulator.stop());

const quickRestarts = (attempts: number, mode: 'fail' | 'delay', intervalMs = 60_000) => ({
  RestartPolicy: { Attempts: attempts, Delay: 20 * MS, Interval: intervalMs * MS, Mode: mode },
});

describe('restarts and rescheduling', () => {
  it('restarts a service task that exits 0 within the policy, then fails it and its allocation', async () => {
    await register(
      emulator,
      job(
        'svc',
        'echo run; exit 0',
        {},
        { ...quickRestarts(2, 'fail'), ReschedulePolicy: { Attempts: 0, Unlimited: false } },
      ),
    );
    const [alloc] = await waitForAllocs(emulator, 'svc', ([a]) => a?.ClientStatus === 'failed');
    const state = alloc!.TaskStates!['main']!;
    expect(state).toMatchObject({ State: 'dead', Failed: true, Restarts: 2 });
    expect(eventTypes(alloc!).slice(-4)).toEqual(['Restarting', 'Started', 'Terminated', 'Not Restarting']);
    const restarting = state.Events.find(event => event.Type === 'Restarting')!;
    expect(restarting).toMatchObject({ RestartReason: 'Restart within policy' });
    expect(restarting.StartDelay).toBeGreaterThanOrEqual(20 * MS);
    expect(restarting.DisplayMessage).toMatch(/^Task restarting in \d+(\.\d+)?ms$/);
    expect(state.Events.at(-1)!.DisplayMessage).toBe(
      'Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"',
    );
    expect(alloc!.ClientDescription).toBe('Failed tasks');
    const logs = await api(
      emulator,
      'GET',
      `/v1/client/fs/logs/${alloc!.ID}?task=main&type=stdout&plain=true`,
    );
    expect(logs.body).toBe('run\nrun\nrun\n');
  });

  it('leaves a batch task that succeeds complete, and counts it as done', async () => {
    await register(emulator, job('once', 'echo done', { Type: 'batch' }));
    const [alloc] = await waitForAllocs(emulator, 'once', ([a]) => a?.ClientStatus === 'complete');
    expect(alloc!.TaskStates!['main']).toMatchObject({ State: 'dead', Failed: false, Restarts: 0 });
    expect(eventTypes(alloc!).at(-1)).toBe('Terminated');
    const readJob = await api(emulator, 'GET', '/v1/job/once?index=1&wait=1s');
    expect(readJob.body.Status).toBe('dead');
  });

  it('in delay mode keeps restarting after the attempts, waiting for the next interval', async () => {
    await register(emulator, job('flaky', 'exit 1', {}, quickRestarts(1, 'delay', 300)));
    const [alloc] = await waitForAllocs(
      emulator,
      'flaky',
      ([a]) => (a?.TaskStates?.['main']?.Restarts ?? 0) >= 2,
    );
    const reasons = alloc!
      .TaskStates!['main']!.Events.filter(event => event.Type === 'Restarting')
      .map(e => e.RestartReason);
    expect(reasons).toContain('Exceeded allowed attempts, applying a delay');
    expect(alloc!.TaskStates!['main']!.Failed).toBe(false);
  });

  it('reschedules a failed service allocation after the policy delay, tracking the attempt', async () => {
    await register(
      emulator,
      job(
        'crash',
        'exit 3',
        {},
        {
          RestartPolicy: { Attempts: 0, Mode: 'fail' },
          ReschedulePolicy: {
            Attempts: 1,
            Interval: 3600_000 * MS,
            Delay: 100 * MS,
            DelayFunction: 'constant',
            Unlimited: false,
          },
        },
      ),
    );
    const allocs = await waitForAllocs(
      emulator,
      'crash',
      list => list.length === 2 && list.every(a => a.ClientStatus === 'failed'),
    );
    // List entries (api.AllocationListStub) name the next allocation, not the previous one.
    const first = allocs.find(a => a.NextAllocation !== '')!;
    const second = allocs.find(a => a.ID === first.NextAllocation)!;
    expect(first).toMatchObject({
      NextAllocation: second.ID,
      DesiredStatus: 'stop',
      DesiredDescription: 'alloc was rescheduled because it failed',
    });
    const full = (await api(emulator, 'GET', `/v1/allocation/${second.ID}`)).body as Allocation;
    expect(full.PreviousAllocation).toBe(first.ID);
    expect(full.RescheduleTracker!.Events).toMatchObject([{ PrevAllocID: first.ID, Delay: 100 * MS }]);
    const terminated = full.TaskStates!['main']!.Events.find(event => event.Type === 'Terminated')!;
    expect(terminated).toMatchObject({ ExitCode: 3, DisplayMessage: 'Exit Code: 3' });
    // The one attempt is used: no third allocation, and the job is dead.
    const evals = (await api(emulator, 'GET', '/v1/job/crash/evaluations')).body as Array<{
      TriggeredBy: string;
      StatusDescription: string;
    }>;
    expect(evals.some(e => e.StatusDescription === 'created for delayed rescheduling')).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 300));
    expect((await api(emulator, 'GET', '/v1/job/crash/allocations')).body).toHaveLength(2);
    expect((await api(emulator, 'GET', '/v1/job/crash')).body.Status).toBe('dead');
  });

  it('kills the siblings of a task that fails', async () => {
    await register(emulator, {
      ...job('pair', ''),
      TaskGroups: [
        {
          Name: 'g',
          RestartPolicy: { Attempts: 0, Mode: 'fail' },
          ReschedulePolicy: { Attempts: 0, Unlimited: false },
          Tasks: [
            { Name: 'main', Driver: 'raw_exec', Config: { command: 'sleep', args: ['3600'] } },
            {
              Name: 'bad',
              Driver: 'raw_exec',
              Config: { command: 'sh', args: ['-c', 'sleep 0.05; exit 4'] },
            },
          ],
        },
      ],
    });
    const [alloc] = await waitForAllocs(emulator, 'pair', ([a]) => a?.TaskStates?.['main']?.State === 'dead');
    expect(alloc!.ClientStatus).toBe('failed');
    expect(eventTypes(alloc!, 'main').slice(-4)).toEqual([
      'Sibling Task Failed',
      'Killing',
      'Terminated',
      'Killed',
    ]);
    expect(alloc!.TaskStates!['main']!.Failed).toBe(false);
    expect(alloc!.TaskStates!['bad']).toMatchObject({ State: 'dead', Failed: true });
  });
});
