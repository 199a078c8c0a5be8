import type {
  V1Container,
  V1ContainerState,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

import { copyApiObject } from '../copy.js';
import {
  buildPodStatus,
  KUBELET_CONDITIONS,
  type ContainerObservation,
  type PodObservation,
} from '../status/index.js';
import { containerProgram, type ContainerProgram } from './behaviour.js';
import { ContainerLog } from './container-log.js';
import type { MockSettings } from './options.js';
import { runScript } from './script.js';
import { errorMessage } from '../errdefs/error-message.js';

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
  /**
   * Decides whether a container that exited starts again: the delay in milliseconds, or undefined to
   * let it rest. Without it the pod's restartPolicy decides, with `settings.restartDelayMs`. Backends
   * with their own restart rules (Nomad's attempts per interval) plug them in here; give such pods
   * restartPolicy Always, so their phase turns terminal only once the hook lets every container rest.
   */
  restartDelayMs?(run: ContainerRun, exitCode: number): number | undefined;
  /**
   * Keep what `exitContainer` needs to end a running container. It costs about 0.6 KB a running
   * container that would otherwise hold nothing (`sleep infinity`), so it is off unless asked for.
   */
  exitable?: boolean;
}

/** The pod as the backend keeps it: a 10,000-pod node holds 10,000 of these. */
function withoutStatus(pod: V1Pod): V1Pod {
  const { status: _status, ...rest } = pod;
  return rest;
}

/** A pod-level end the containers cannot express: deleted, deadline exceeded, a runtime error. */
interface Verdict {
  phase?: 'Succeeded' | 'Failed';
  reason: string;
  message?: string;
}

const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/**
 * A pod running in the mock backend: init containers one by one, then the app containers side by
 * side, with restart policies, exit codes and timed state changes. Every change goes to `changed`.
 */
export class PodRuntime {
  pod: V1Pod;
  readonly uid: string;
  readonly containers = new Map<string, ContainerRun>();
  private verdict: Verdict | undefined;
  /** Every container has stopped for good: none will run again, whatever the restart policy says. */
  private done = false;
  private startTime: Date | undefined;
  private ipAssigned = false;
  /**
   * What the next status starts from: the last phase, and its conditions (bit i: the i-th of
   * KUBELET_CONDITIONS is True) with their transition times in ms. Kept as numbers rather than
   * condition objects and Dates: that is several hundred bytes a pod on a 10,000-pod node.
   */
  private phase: string | undefined;
  private conditionBits = 0;
  private conditionTimes: number[] | undefined;
  private readonly stopper = new AbortController();
  private deadline: NodeJS.Timeout | undefined;
  private startup: NodeJS.Timeout | undefined;
  /** How each running container's current run ends early, when `hooks.exitable` (see exitContainer). */
  private exits: Map<ContainerRun, (exitCode: number) => void> | undefined;

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
  }

  get terminal(): boolean {
    const phase = this.status().phase;
    return phase === 'Succeeded' || phase === 'Failed';
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
    this.terminate({ reason: 'MockProviderPodDeleted' }, 'MockProviderPodContainerDeleted', 0);
  }

  /**
   * Ends the current run of a container as if its process had exited with `exitCode` (a crash, an
   * OOM kill): the restart policy then applies as for any exit. False when it is not running, or
   * when the runtime was not made `exitable`.
   */
  exitContainer(name: string, exitCode: number): boolean {
    const run = this.containers.get(name);
    const exit = run && this.exits?.get(run);
    if (!exit || this.stopped) return false;
    exit(exitCode);
    return true;
  }

  /** Kills what still runs, as the kubelet does when activeDeadlineSeconds passes. */
  private exceedDeadline(): void {
    if (this.stopper.signal.aborted || this.terminal) return;
    this.terminate(
      { phase: 'Failed', reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE },
      'DeadlineExceeded',
      137,
    );
  }

  /** Stops every container for good; the phase follows from their exit codes unless `verdict` sets it. */
  private terminate(verdict: Verdict, containerReason: string, exitCode: number): void {
    this.stopper.abort(POD_STOPPED);
    this.exits?.clear();
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
    this.verdict = verdict;
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

  /** The pod's status, built by the kubelet's rules from the containers' states. */
  status(): V1PodStatus {
    const apps: ContainerObservation[] = [];
    const inits: ContainerObservation[] = [];
    for (const run of this.containers.values()) {
      const observed: ContainerObservation = {
        name: run.spec.name,
        image: run.image,
        imageID: `mock://${run.image}`,
        containerID: `mock://${this.uid}/${run.spec.name}`,
        ready: run.ready,
        restartCount: run.restartCount,
        // Copies: a snapshot handed out must not change with the run.
        state: copyApiObject(run.state),
      };
      if (run.lastState) observed.lastState = copyApiObject(run.lastState);
      (run.init ? inits : apps).push(observed);
    }
    const stopped = this.stopper.signal.aborted || this.done;
    const observation: PodObservation = {
      containers: apps,
      initContainers: inits,
      podIPs: this.ipAssigned ? [this.hooks.podIP] : [],
      sandboxReady: this.ipAssigned && !stopped,
      stopped,
    };
    if (this.startTime) observation.startTime = this.startTime;
    const verdict = this.verdict;
    if (verdict) {
      if (verdict.phase) observation.phase = verdict.phase;
      observation.reason = verdict.reason;
      if (verdict.message) observation.message = verdict.message;
    }
    const status = buildPodStatus(this.pod, observation, {
      previous: this.phase ? { phase: this.phase, conditions: this.previousConditions() } : undefined,
      hostIP: this.ipAssigned ? this.hooks.hostIP : undefined,
    });
    this.phase = status.phase;
    const conditions = status.conditions ?? [];
    let bits = 0;
    for (let i = 0; i < conditions.length; i++) if (conditions[i]!.status === 'True') bits |= 1 << i;
    this.conditionBits = bits;
    // An array of exactly five numbers, however the conditions' times are typed.
    this.conditionTimes = conditions.map(({ lastTransitionTime: time }) =>
      time instanceof Date ? time.getTime() : new Date(time ?? 0).getTime(),
    );
    return status;
  }

  private previousConditions(): V1PodCondition[] | undefined {
    const times = this.conditionTimes;
    return times
      ? KUBELET_CONDITIONS.map((type, i) => ({
          type,
          status: this.conditionBits & (1 << i) ? 'True' : 'False',
          lastTransitionTime: new Date(times[i] ?? 0),
        }))
      : undefined;
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
      this.fail(err);
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
      this.runWithRestarts(run, succeeded => (succeeded ? this.runInit(index + 1) : this.finish()));
      return;
    }
    const apps = this.appContainers();
    let running = apps.length;
    for (const app of apps) {
      this.runWithRestarts(app, () => {
        if (--running === 0) this.finish();
      });
    }
  }

  /** Runs a container until the restart policy lets it rest; `done(true)` when its last exit code was 0. */
  private runWithRestarts(run: ContainerRun, done: (succeeded: boolean) => void): void {
    this.runOnce(run, exitCode => {
      const delayMs = this.hooks.restartDelayMs
        ? this.hooks.restartDelayMs(run, exitCode)
        : this.policyRestartDelayMs(run, exitCode);
      if (delayMs === undefined) return done(exitCode === 0);
      run.lastState = run.state;
      run.state = {
        waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting ${run.spec.name}` },
      };
      run.restartCount++;
      this.hooks.changed(this);
      this.after(delayMs, run, () => this.runWithRestarts(run, done));
    });
  }

  /** The kubelet's rule: restart per the pod's restartPolicy, after `settings.restartDelayMs`. */
  private policyRestartDelayMs(run: ContainerRun, exitCode: number): number | undefined {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    // Init containers never restart after success, whatever the policy.
    const restart =
      policy === 'Always' ? !run.init || exitCode !== 0 : policy === 'OnFailure' && exitCode !== 0;
    return restart ? this.hooks.settings.restartDelayMs : undefined;
  }

  private runOnce(run: ContainerRun, exited: (exitCode: number) => void): void {
    const log = new ContainerLog();
    run.logs = [...run.logs.slice(-1), log];
    const startedAt = new Date();
    run.state = { running: { startedAt } };
    run.ready = !run.init;
    this.hooks.changed(this);
    if (run.program.announceStart)
      log.write(`mock: container ${run.spec.name} started (restart ${run.restartCount})\n`);
    const sleepsForMs = run.program.sleepsForMs;
    // Only a script needs its own signal: exitContainer must stop it, not just the pod.
    let scriptStop: AbortController | undefined;
    let ended = false;
    const exit = (exitCode: number) => {
      if (ended) return;
      ended = true;
      this.exits?.delete(run);
      clearTimeout(run.timer);
      run.timer = undefined;
      scriptStop?.abort();
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
      this.hooks.changed(this);
      exited(exitCode);
    };
    if (this.hooks.exitable) (this.exits ??= new Map()).set(run, exit);
    if (sleepsForMs === undefined) {
      scriptStop = new AbortController();
      this.runStatements(run, log, AbortSignal.any([this.stopper.signal, scriptStop.signal])).then(
        exitCode => this.guard(() => exit(exitCode)),
        (err: unknown) =>
          this.guard(() => {
            if (!ended) this.fail(err);
          }),
      );
    } else if (sleepsForMs !== Infinity) {
      this.sleepFor(run, Date.now() + sleepsForMs, () => exit(0));
    }
    // `sleep infinity` waits for stop() with nothing pending.
  }

  private async runStatements(run: ContainerRun, log: ContainerLog, signal: AbortSignal): Promise<number> {
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
      log.write(`mock: ${errorMessage(err)}\n`, 'stderr');
      return 1;
    }
  }

  /** A lone `sleep` until `end`; Node timers hold at most ~24.8 days, longer ones wait in slices. */
  private sleepFor(run: ContainerRun, end: number, over: () => void): void {
    const left = end - Date.now();
    if (left <= 0) return over();
    this.after(Math.min(left, MAX_TIMER_MS), run, () => this.sleepFor(run, end, over));
  }

  /** Every container has stopped for good (the phase follows from their exit codes). */
  private finish(): void {
    if (this.stopper.signal.aborted) return;
    this.done = true;
    this.clearDeadline();
    this.hooks.changed(this);
  }

  /** The mock itself failed running the pod: Failed, whatever the containers did. */
  private fail(err: unknown): void {
    if (this.stopper.signal.aborted) return;
    this.verdict = { phase: 'Failed', reason: `MockRuntimeError: ${errorMessage(err)}` };
    this.finish();
  }
}
