import { describe, expect, it } from 'vitest';

import { parseMockSettings, PodRuntime, type ContainerRun } from '../../src/mock/index.js';
import { makePod, sh } from './helpers.js';

describe('PodRuntimeHooks.restartDelayMs', () => {
  it('decides restarts instead of the restartPolicy: after its delay, until it returns undefined', async () => {
    const decisions: Array<[string, number]> = [];
    const settings = parseMockSettings({ startupDelayMs: 0, restartDelayMs: 60_000 });
    let done!: () => void;
    const finished = new Promise<void>(resolve => (done = resolve));
    // The pod's policy would restart for ever after a minute: the hook restarts twice, 5 ms apart.
    const runtime = new PodRuntime(
      makePod('p', [sh('app', 'echo run; exit 3')], { restartPolicy: 'Always' }),
      {
        settings,
        podIP: '10.0.0.2',
        hostIP: '10.0.0.1',
        changed: changed => {
          if (changed.terminal) done();
        },
        restartDelayMs: (run: ContainerRun, exitCode: number) => {
          decisions.push([run.spec.name, exitCode]);
          return decisions.length < 3 ? 5 : undefined;
        },
      },
    );
    runtime.start();
    await finished;
    expect(decisions).toEqual([
      ['app', 3],
      ['app', 3],
      ['app', 3],
    ]);
    const status = runtime.status();
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.restartCount).toBe(2);
    runtime.stop();
  });
});
