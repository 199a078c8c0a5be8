import { describe, expect, it } from 'vitest';

import { parseMockSettings, PodRuntime } from '../../src/mock/index.js';
import { makePod, sh } from './helpers.js';

function runtimeFor(pod: ReturnType<typeof makePod>): { runtime: PodRuntime; changed: Promise<void> } {
  let wake: () => void = () => undefined;
  const runtime = new PodRuntime(pod, {
    settings: parseMockSettings({ startupDelayMs: 0, restartDelayMs: 5 }),
    podIP: '10.0.0.2',
    hostIP: '10.0.0.1',
    changed: () => wake(),
    exitable: true,
  });
  return { runtime, changed: new Promise(resolve => (wake = resolve)) };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise(resolve => setTimeout(resolve, 2));
  expect(check()).toBe(true);
}

describe('PodRuntime.exitContainer', () => {
  it('ends a sleeping container with the given code and lets the restart policy restart it', async () => {
    const { runtime } = runtimeFor(makePod('p', [sh('app', 'sleep 60')], { restartPolicy: 'Always' }));
    runtime.start();
    const app = runtime.containers.get('app')!;
    await until(() => app.state.running !== undefined);
    expect(runtime.exitContainer('app', 137)).toBe(true);
    // The exit is recorded at once; the container then waits out its restart back-off.
    expect(app.lastState?.terminated?.exitCode).toBe(137);
    expect(app.lastState?.terminated?.reason).toBe('Error');
    expect(app.state.waiting?.reason).toBe('CrashLoopBackOff');
    await until(() => app.restartCount === 1 && app.state.running !== undefined);
    runtime.stop();
  });

  it('stops a running script, so it neither writes on nor fails the pod, and the pod ends with the code', async () => {
    const { runtime } = runtimeFor(makePod('p', [sh('app', 'echo up; yes')], { restartPolicy: 'Never' }));
    runtime.start();
    const app = runtime.containers.get('app')!;
    await until(() => (app.logs.at(-1)?.lineCount ?? 0) > 0);
    expect(runtime.exitContainer('app', 3)).toBe(true);
    await until(() => runtime.terminal);
    const status = runtime.status();
    expect(status.phase).toBe('Failed');
    expect(status.reason).toBeUndefined();
    expect(status.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    const lines = app.logs.at(-1)!.lineCount;
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(app.logs.at(-1)!.lineCount).toBe(lines);
  });

  it('answers false unless the runtime was made exitable', async () => {
    const runtime = new PodRuntime(makePod('p', [sh('app', 'sleep 60')]), {
      settings: parseMockSettings({ startupDelayMs: 0 }),
      podIP: '10.0.0.2',
      hostIP: '10.0.0.1',
      changed: () => undefined,
    });
    runtime.start();
    await until(() => runtime.containers.get('app')!.state.running !== undefined);
    expect(runtime.exitContainer('app', 1)).toBe(false);
    expect(runtime.containers.get('app')!.state.running).toBeDefined();
    runtime.stop();
  });

  it('answers false for a container that is not running, an unknown one and a stopped pod', async () => {
    const { runtime } = runtimeFor(makePod('p', [sh('app', 'exit 0')], { restartPolicy: 'Never' }));
    expect(runtime.exitContainer('app', 1)).toBe(false);
    runtime.start();
    await until(() => runtime.terminal);
    expect(runtime.exitContainer('app', 1)).toBe(false);
    expect(runtime.exitContainer('nope', 1)).toBe(false);
    runtime.stop();
    expect(runtime.exitContainer('app', 1)).toBe(false);
  });
});
