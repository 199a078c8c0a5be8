import type { V1ContainerState } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { Agent, busyboxPod, withPodRoot } from './support/agent.js';
import { MemoryRuntime } from './support/memory-runtime.js';

type SandboxState = 'ready' | 'notready' | 'missing';
type ContainerState =
  | 'created'
  | 'running'
  | 'exited 0'
  | 'exited 1'
  | 'exited 255'
  | 'lost by the runtime'
  | 'start cut short'
  | 'unknown'
  | 'missing';
type Policy = 'Always' | 'OnFailure' | 'Never';
type Origin = 'this process' | 'adopted';

/** What containerd says when the agent died during StartContainer (as seen with containerd 1.6). */
const CUT_SHORT = 'failed to create containerd task: failed to create shim task: context canceled: unknown';

/**
 * The pod after the sync converged, in one line: its container's state and restart count, the pod
 * phase, and the pod's sandboxes in the runtime (`ready@<attempt>`, `stopped@<attempt>`, `none`).
 */
type Outcome = string;
const running = (restarts: number, sandbox: string): Outcome =>
  `running restarts=${restarts} Running sandbox=${sandbox}`;
const exited = (code: number, phase: string, sandbox: string, restarts = 0): Outcome =>
  `exited(${code}) restarts=${restarts} ${phase} sandbox=${sandbox}`;
type Cell = Outcome | { 'this process': Outcome; adopted: Outcome };
const by = (Always: Cell, OnFailure: Cell, Never: Cell): Record<Policy, Cell> => ({
  Always,
  OnFailure,
  Never,
});
const all = (cell: Cell): Record<Policy, Cell> => by(cell, cell, cell);
// Running in the first sandbox (attempt 0) or in its replacement (attempt 1), restarted or not.
const RUNNING = running(0, 'ready@0');
const RESTARTED = running(1, 'ready@0');
const IN_NEW_SANDBOX = running(0, 'ready@1');
const RESTARTED_IN_NEW = running(1, 'ready@1');

/**
 * Every state a sync can find a one-container pod in, and what it converges to, per restart policy.
 * Rows read: the sandbox as containerd reports it × the container as containerd reports it; the pod
 * was started by an agent, then the runtime was put in that state, then the same agent syncs
 * ("this process") or a new one adopts and syncs ("adopted"). A container that never ran (created,
 * start cut short), or whose task the runtime lost across its restart (exit 255, reason Unknown), is
 * created again without a restart counted, whatever the policy; a genuine exit 255 is an exit; a container in
 * an unknown state is killed and restarted whatever the policy (kubelet); a sandbox that is not
 * ready is replaced (next attempt) unless the policy leaves nothing to run, and the pod never has
 * two sandboxes at once.
 */
const TABLE: Array<[SandboxState, ContainerState, Record<Policy, Cell>]> = [
  ['ready', 'created', all(RUNNING)],
  ['ready', 'running', all(RUNNING)],
  ['ready', 'exited 0', by(RESTARTED, exited(0, 'Succeeded', 'ready@0'), exited(0, 'Succeeded', 'ready@0'))],
  ['ready', 'exited 1', by(RESTARTED, RESTARTED, exited(1, 'Failed', 'ready@0'))],
  ['ready', 'exited 255', by(RESTARTED, RESTARTED, exited(255, 'Failed', 'ready@0'))],
  ['ready', 'lost by the runtime', all(RUNNING)],
  ['ready', 'start cut short', all(RUNNING)],
  ['ready', 'unknown', all(RESTARTED)],
  ['ready', 'missing', by(RESTARTED, RESTARTED, exited(137, 'Failed', 'ready@0'))],

  ['notready', 'created', all(IN_NEW_SANDBOX)],
  ['notready', 'running', by(RESTARTED_IN_NEW, RESTARTED_IN_NEW, exited(137, 'Failed', 'stopped@0'))],
  [
    'notready',
    'exited 0',
    by(RESTARTED_IN_NEW, exited(0, 'Succeeded', 'stopped@0'), exited(0, 'Succeeded', 'stopped@0')),
  ],
  ['notready', 'exited 1', by(RESTARTED_IN_NEW, RESTARTED_IN_NEW, exited(1, 'Failed', 'stopped@0'))],
  ['notready', 'exited 255', by(RESTARTED_IN_NEW, RESTARTED_IN_NEW, exited(255, 'Failed', 'stopped@0'))],
  ['notready', 'lost by the runtime', all(IN_NEW_SANDBOX)],
  ['notready', 'start cut short', all(IN_NEW_SANDBOX)],
  ['notready', 'unknown', by(RESTARTED_IN_NEW, RESTARTED_IN_NEW, exited(137, 'Failed', 'stopped@0'))],
  ['notready', 'missing', by(RESTARTED_IN_NEW, RESTARTED_IN_NEW, exited(137, 'Failed', 'stopped@0'))],

  // A removed sandbox took its containers along: the container state no longer matters. This process
  // acts on what it last saw (running); a new agent finds nothing to adopt, core creates the pod
  // again, and the log directory tells that the container ran.
  ...(
    [
      'created',
      'running',
      'exited 0',
      'exited 1',
      'exited 255',
      'lost by the runtime',
      'start cut short',
      'unknown',
      'missing',
    ] as const
  ).map((container): [SandboxState, ContainerState, Record<Policy, Cell>] => [
    'missing',
    container,
    by(
      { 'this process': RESTARTED_IN_NEW, adopted: RESTARTED },
      { 'this process': RESTARTED_IN_NEW, adopted: RESTARTED },
      { 'this process': exited(137, 'Failed', 'none'), adopted: exited(137, 'Failed', 'ready@0') },
    ),
  ]),
];

function describeState(state: V1ContainerState | undefined): string {
  if (state?.running) return 'running';
  if (state?.terminated) return `exited(${state.terminated.exitCode})`;
  return `waiting(${state?.waiting?.reason})`;
}

async function converge(sandbox: SandboxState, container: ContainerState, policy: Policy, origin: Origin) {
  return withPodRoot(async podRoot => {
    const runtime = new MemoryRuntime();
    const first = new Agent(runtime, podRoot);
    const pod = busyboxPod(policy);
    const started = await first.create(pod);
    await first.sync(started, 1);
    const sandboxId = started.state.sandboxId;
    const [c] = runtime.containersOf(sandboxId);
    expect(c?.state).toBe('CONTAINER_RUNNING');
    const id = c!.id;
    if (container === 'created') runtime.setContainer(id, { state: 'CONTAINER_CREATED' });
    if (container === 'exited 0') runtime.setContainer(id, { state: 'CONTAINER_EXITED', exitCode: 0 });
    if (container === 'exited 1') runtime.setContainer(id, { state: 'CONTAINER_EXITED', exitCode: 1 });
    // A process that exits 255 gets containerd's reason "Error"; a task containerd lost across its
    // restart gets 255 and "Unknown".
    if (container === 'exited 255')
      runtime.setContainer(id, { state: 'CONTAINER_EXITED', exitCode: 255, reason: 'Error' });
    if (container === 'lost by the runtime')
      runtime.setContainer(id, { state: 'CONTAINER_EXITED', exitCode: 255, reason: 'Unknown' });
    if (container === 'start cut short')
      runtime.setContainer(id, {
        state: 'CONTAINER_EXITED',
        exitCode: 128,
        reason: 'StartError',
        message: CUT_SHORT,
      });
    if (container === 'unknown') runtime.setContainer(id, { state: 'CONTAINER_UNKNOWN' });
    if (container === 'missing') runtime.containers.delete(id);
    if (sandbox === 'notready') runtime.sandboxes.get(sandboxId)!.state = 'SANDBOX_NOTREADY';
    if (sandbox === 'missing') runtime.dropSandbox(sandboxId);

    let agent = first;
    let record = started;
    if (origin === 'adopted') {
      agent = new Agent(runtime, podRoot);
      // Nothing adopted (the sandbox is gone): core creates the pod again.
      record = (await agent.adopt())[0] ?? (await agent.create(pod));
    }
    const status = await agent.sync(record);
    const sandboxes = [...runtime.sandboxes.values()]
      .map(s => `${s.state === 'SANDBOX_READY' ? 'ready' : 'stopped'}@${s.config.metadata.attempt}`)
      .join(',');
    const containerStatus = status.containerStatuses?.[0];
    return {
      outcome: `${describeState(containerStatus?.state)} restarts=${containerStatus?.restartCount} ${status.phase} sandbox=${sandboxes || 'none'}`,
      mostSandboxes: runtime.mostSandboxesOfAPod,
    };
  });
}

describe('CRI sync: every state a pod can be found in converges as the kubelet would', () => {
  const cases = TABLE.flatMap(([sandbox, container, byPolicy]) =>
    (['Always', 'OnFailure', 'Never'] as const).flatMap(policy =>
      (['this process', 'adopted'] as const).map(origin => {
        const cell = byPolicy[policy];
        return {
          sandbox,
          container,
          policy,
          origin,
          expected: typeof cell === 'string' ? cell : cell[origin],
        };
      }),
    ),
  );

  it.each(cases)(
    'sandbox $sandbox, container $container, $policy, $origin → $expected',
    async ({ sandbox, container, policy, origin, expected }) => {
      const { outcome, mostSandboxes } = await converge(sandbox, container, policy, origin);
      expect(outcome).toBe(expected);
      expect(mostSandboxes).toBe(1);
    },
  );
});
