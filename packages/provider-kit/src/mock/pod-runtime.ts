import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

import { copyApiObject } from '../copy.js';
import { containerProgram, type ContainerProgram } from './behaviour.js';
import { ContainerLog } from './container-log.js';
import type { MockSettings } from './options.js';
import { runScript } from './script.js';

/** One container of a pod as the mock runs it, across restarts. */
export interface ContainerRun {
  readonly spec: V1Container;
  readonly init: boolean;
  readonly program: ContainerProgram;
  image: string;
  restartCount: number;
  state: V1ContainerState;
  lastState?: V1ContainerState;
  ready: boolean;
  /** Log of the current run and of the one before (for `previous`). */
  logs: ContainerLog[];
  /** The container's pending timer (a lone `sleep`, a restart back-off), cleared when the pod stops. */
  timer?: NodeJS.Timeout;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Why a stopped pod's signal aborted: one shared error. Without a reason, abort() makes a DOMException
 * and captures its stack for every deleted pod, a tenth of a millisecond each on a node deleting
 * thousands.
 */
const POD_STOPPED = Object.assign(new Error('the pod was stopped'), { name: 'AbortError' });

export interface PodRuntimeHooks {
  settings: MockSettings;
  podIP: string;
  hostIP: string;
  /** Called after every status change, with the runtime already updated. */
  changed(runtime: PodRuntime): void;
}

/** The pod as the backend keeps it: a 10,000-pod node holds 10,000 of these. */
function withoutStatus(pod: V1Pod): V1Pod {
  const { status: _status, ...rest } = pod;
  return rest;
}

type ConditionType = 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready';

/**
 * A pod running in the mock backend: init containers one by one, then the app containers side by
 * side, with restart policies, exit codes and timed state changes. Every change goes to `changed`.
 */
export class PodRuntime {
  pod: V1Pod;
  readonly uid: string;
  readonly containers = new Map<string, ContainerRun>();
  private phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  private reason: string | undefined;
  private startTime: Date | undefined;
  private ipAssigned = false;
  private readonly conditions = new Map<ConditionType, V1PodCondition>();
  private readonly stopper = new AbortController();
  private deadline: NodeJS.Timeout | undefined;
  private startup: NodeJS.Timeout | undefined;

  constructor(
    pod: V1Pod,
    private readonly hooks: PodRuntimeHooks,
  ) {
    // Pods handed to a provider are its own copies (see the contract); the status is ours to make.
    this.pod = withoutStatus(pod);
    this.uid = pod.metadata?.uid ?? '';
    const spec = pod.spec;
    for (const [init, list] of [
      [true, spec?.initContainers ?? []],
      [false, spec?.containers ?? []],
    ] as const) {
      for (const container of list) {
        this.containers.set(container.name, {
          spec: container,
          init,
          program: containerProgram(pod, container, init, hooks.settings),
          image: container.image ?? '',
          restartCount: 0,
          state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
          ready: false,
          logs: [],
        });
      }
    }
    this.setCondition('PodScheduled', true);
    this.setCondition('Initialized', this.initContainers().length === 0);
    this.setCondition('ContainersReady', false);
    this.setCondition('Ready', false);
  }

  get terminal(): boolean {
    return this.phase === 'Succeeded' || this.phase === 'Failed';
  }

  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  start(): void {
    this.after(this.hooks.settings.startupDelayMs, undefined, () => this.begin());
  }

  /** Applies a changed spec: labels, annotations, images, active deadline. */
  update(pod: V1Pod): void {
    const previous = this.pod;
    this.pod = withoutStatus(pod);
    if (previous.metadata?.uid) this.pod.metadata = { ...this.pod.metadata, uid: previous.metadata.uid };
    for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const run = this.containers.get(container.name);
      if (run && container.image) run.image = container.image;
    }
    this.armDeadline();
    this.hooks.changed(this);
  }

  /** Stops every container (the pod was deleted) and leaves a terminal status, notified once more. */
  stop(): void {
    this.clearDeadline();
    if (this.stopper.signal.aborted) {
      this.hooks.changed(this);
      return;
    }
    this.terminate(
      this.phase === 'Failed' ? 'Failed' : 'Succeeded',
      'MockProviderPodDeleted',
      'MockProviderPodContainerDeleted',
      0,
    );
  }

  /** Kills what still runs, as the kubelet does when activeDeadlineSeconds passes. */
  private exceedDeadline(): void {
    if (this.stopper.signal.aborted || this.terminal) return;
    this.terminate('Failed', 'DeadlineExceeded', 'DeadlineExceeded', 137);
  }

  private terminate(
    phase: 'Succeeded' | 'Failed',
    podReason: string,
    containerReason: string,
    exitCode: number,
  ): void {
    this.stopper.abort(POD_STOPPED);
    clearTimeout(this.startup);
    const now = new Date();
    for (const run of this.containers.values()) {
      clearTimeout(run.timer);
      run.timer = undefined;
      if (run.state.terminated) continue;
      run.logs.at(-1)?.close();
      run.state = {
        terminated: {
          exitCode,
          reason: containerReason,
          startedAt: run.state.running?.startedAt,
          finishedAt: now,
        },
      };
      run.ready = false;
    }
    this.phase = phase;
    this.reason = podReason;
    this.setCondition('ContainersReady', false);
    this.setCondition('Ready', false);
    this.hooks.changed(this);
  }

  /** (Re)arms the activeDeadlineSeconds timer, counted from the pod's start time. */
  private armDeadline(): void {
    this.clearDeadline();
    const seconds = this.pod.spec?.activeDeadlineSeconds;
    if (seconds === undefined || !this.startTime || this.terminal) return;
    const remaining = this.startTime.getTime() + seconds * 1000 - Date.now();
    this.deadline = setTimeout(() => this.exceedDeadline(), Math.max(0, remaining));
    this.deadline.unref();
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /** A deep copy of the pod with its current status, safe to hand out. */
  snapshot(): V1Pod {
    const pod = copyApiObject(this.pod);
    pod.status = this.status();
    return pod;
  }

  status(): V1PodStatus {
    const toStatus = (run: ContainerRun): V1ContainerStatus => ({
      name: run.spec.name,
      image: run.image,
      imageID: `mock://${run.image}`,
      containerID: `mock://${this.uid}/${run.spec.name}`,
      ready: run.ready,
      started: run.state.running !== undefined,
      restartCount: run.restartCount,
      state: copyApiObject(run.state),
      ...(run.lastState ? { lastState: copyApiObject(run.lastState) } : {}),
    });
    const inits = this.initContainers().map(toStatus);
    return {
      phase: this.phase,
      ...(this.reason ? { reason: this.reason } : {}),
      conditions: [...this.conditions.values()].map(condition => ({ ...condition })),
      ...(this.ipAssigned
        ? { hostIP: this.hooks.hostIP, podIP: this.hooks.podIP, podIPs: [{ ip: this.hooks.podIP }] }
        : {}),
      ...(this.ipAssigned ? { hostIPs: [{ ip: this.hooks.hostIP }] } : {}),
      ...(this.startTime ? { startTime: this.startTime } : {}),
      ...(inits.length > 0 ? { initContainerStatuses: inits } : {}),
      containerStatuses: this.appContainers().map(toStatus),
    };
  }

  initContainers(): ContainerRun[] {
    return [...this.containers.values()].filter(run => run.init);
  }

  appContainers(): ContainerRun[] {
    return [...this.containers.values()].filter(run => !run.init);
  }

  /*
   * The pod runs as a chain of timers and callbacks rather than async functions: a sleeping
   * container then holds one timer and one closure, where suspended async frames, promises and
   * abort listeners held about 5 KB a pod on a 10,000-pod node. stop() clears the timers; every
   * step checks `stopped` because a script may still settle afterwards.
   */

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** Runs `step` after `ms` on `run`'s timer (or the pod's), failing the pod if it throws. */
  private after(ms: number, run: ContainerRun | undefined, step: () => void): void {
    const timer = setTimeout(() => {
      if (run) run.timer = undefined;
      else this.startup = undefined;
      this.guard(step);
    }, ms);
    if (run) run.timer = timer;
    else this.startup = timer;
  }

  private guard(step: () => void): void {
    if (this.stopped) return;
    try {
      step();
    } catch (err) {
      this.finish('Failed', `MockRuntimeError: ${(err as Error).message}`);
    }
  }

  private begin(): void {
    this.ipAssigned = true;
    this.startTime = new Date();
    this.armDeadline();
    this.hooks.changed(this);
    this.runInit(0);
  }

  /** Init containers one by one, then the app containers side by side. */
  private runInit(index: number): void {
    const run = this.initContainers()[index];
    if (run) {
      this.runWithRestarts(run, succeeded => (succeeded ? this.runInit(index + 1) : this.finish('Failed')));
      return;
    }
    this.setCondition('Initialized', true);
    const apps = this.appContainers();
    let running = apps.length;
    let allSucceeded = true;
    if (running === 0) this.finish('Succeeded');
    for (const app of apps) {
      this.runWithRestarts(app, succeeded => {
        allSucceeded &&= succeeded;
        if (--running === 0) this.finish(allSucceeded ? 'Succeeded' : 'Failed');
      });
    }
  }

  /** Runs a container until the restart policy lets it rest; `done(true)` when its last exit code was 0. */
  private runWithRestarts(run: ContainerRun, done: (succeeded: boolean) => void): void {
    this.runOnce(run, exitCode => {
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      // Init containers never restart after success, whatever the policy.
      const restart =
        policy === 'Always' ? !run.init || exitCode !== 0 : policy === 'OnFailure' && exitCode !== 0;
      if (!restart) return done(exitCode === 0);
      run.lastState = run.state;
      run.state = {
        waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting ${run.spec.name}` },
      };
      run.restartCount++;
      this.hooks.changed(this);
      this.after(this.hooks.settings.restartDelayMs, run, () => this.runWithRestarts(run, done));
    });
  }

  private runOnce(run: ContainerRun, exited: (exitCode: number) => void): void {
    const log = new ContainerLog();
    run.logs = [...run.logs.slice(-1), log];
    const startedAt = new Date();
    run.state = { running: { startedAt } };
    run.ready = !run.init;
    if (!run.init && this.phase === 'Pending') this.phase = 'Running';
    this.refreshReadiness();
    this.hooks.changed(this);
    if (run.program.announceStart)
      log.write(`mock: container ${run.spec.name} started (restart ${run.restartCount})\n`);
    const exit = (exitCode: number) => {
      log.close();
      run.state = {
        terminated: {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt,
          finishedAt: new Date(),
        },
      };
      run.ready = false;
      this.refreshReadiness();
      this.hooks.changed(this);
      exited(exitCode);
    };
    const sleepsForMs = run.program.sleepsForMs;
    if (sleepsForMs === undefined) {
      this.runStatements(run, log).then(
        exitCode => this.guard(() => exit(exitCode)),
        (err: unknown) =>
          this.guard(() => this.finish('Failed', `MockRuntimeError: ${(err as Error).message}`)),
      );
    } else if (sleepsForMs !== Infinity) {
      this.sleepFor(run, Date.now() + sleepsForMs, () => exit(0));
    }
    // `sleep infinity` waits for stop() with nothing pending.
  }

  private async runStatements(run: ContainerRun, log: ContainerLog): Promise<number> {
    const signal = this.stopper.signal;
    const env: Array<[string, string]> = [['HOSTNAME', this.pod.metadata?.name ?? '']];
    for (const variable of run.spec.env ?? []) env.push([variable.name, variable.value ?? '']);
    try {
      return await runScript(run.program.statements, {
        write: (text, stream) => log.write(text, stream),
        env,
        signal,
      });
    } catch (err) {
      signal.throwIfAborted();
      log.write(`mock: ${(err as Error).message}\n`, 'stderr');
      return 1;
    }
  }

  /** A lone `sleep` until `end`; Node timers hold at most ~24.8 days, longer ones wait in slices. */
  private sleepFor(run: ContainerRun, end: number, over: () => void): void {
    const left = end - Date.now();
    if (left <= 0) return over();
    this.after(Math.min(left, MAX_TIMER_MS), run, () => this.sleepFor(run, end, over));
  }

  private finish(phase: 'Succeeded' | 'Failed', reason?: string): void {
    if (this.stopper.signal.aborted) return;
    this.clearDeadline();
    this.phase = phase;
    if (reason) this.reason = reason;
    this.refreshReadiness();
    this.hooks.changed(this);
  }

  private refreshReadiness(): void {
    const apps = this.appContainers();
    const ready = apps.length > 0 && apps.every(run => run.ready);
    this.setCondition('ContainersReady', ready);
    this.setCondition('Ready', ready);
  }

  private setCondition(type: ConditionType, value: boolean): void {
    const status = value ? 'True' : 'False';
    if (this.conditions.get(type)?.status === status) return;
    this.conditions.set(type, { type, status, lastTransitionTime: new Date() });
  }
}
