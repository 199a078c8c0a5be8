import type { V1Container } from '@kubernetes/client-node';
import type { MockSettings } from '@vkubelet/provider-kit/mock';
import { PodRuntime, type ContainerRun } from '@vkubelet/provider-kit/mock';
import { errorMessage } from '@vkubelet/provider-kit';

import type {
  Allocation,
  ClientStatus,
  NomadNode,
  Task,
  TaskEvent,
  TaskGroup,
  TaskState,
} from '../api/types.js';
import { RestartTracker } from './restart-tracker.js';
import { appendEvent, newTaskState, taskEvents } from './task-events.js';
import { TaskLogs } from './task-logs.js';
import { allocationPod, isMainTask, isPrestartTask, taskContainer, taskEnvironment } from './task-pod.js';

export interface AllocRunnerHooks {
  settings: MockSettings;
  node: NomadNode;
  /** The address tasks see as theirs (the node's in host networking, a bridge address otherwise). */
  ip: string;
  /** Called after every change of the allocation's client-side state (task states, client status). */
  updated(alloc: Allocation): void;
}

interface Seen {
  startedAt?: Date;
  terminated: boolean;
}

/**
 * The Nomad client's side of one allocation: runs its tasks as a PodRuntime (the mock's process
 * model, so logs, exec and exit codes are real) and keeps the allocation's TaskStates and
 * ClientStatus as a Nomad client reports them: task events, restarts by the restart policy,
 * siblings killed when a task fails or the leader dies, sidecars stopped when the main tasks end.
 */
export class AllocRunner {
  readonly logs = new Map<string, TaskLogs>();
  runtime: PodRuntime | undefined;
  private readonly tasks: Map<string, Task>;
  private readonly trackers = new Map<string, RestartTracker>();
  private readonly seen = new Map<string, Seen>();
  private readonly killing = new Set<string>();
  /** The node was lost: nothing is reported any more. */
  private detached = false;

  constructor(
    readonly alloc: Allocation,
    private readonly group: TaskGroup,
    private readonly hooks: AllocRunnerHooks,
  ) {
    this.tasks = new Map(group.Tasks.map(task => [task.Name, task]));
    const restartOnSuccess = alloc.Job.Type !== 'batch' && alloc.Job.Type !== 'sysbatch';
    for (const task of group.Tasks) {
      this.logs.set(task.Name, new TaskLogs(task.Name));
      this.seen.set(task.Name, { terminated: false });
      this.trackers.set(
        task.Name,
        new RestartTracker(
          task.RestartPolicy ?? group.RestartPolicy,
          restartOnSuccess && !isPrestartTask(task),
        ),
      );
    }
  }

  private state(task: string): TaskState {
    return this.alloc.TaskStates![task]!;
  }

  /** The client received the allocation: task directories, drivers, then the tasks start. */
  start(): void {
    this.alloc.TaskStates = {};
    for (const task of this.group.Tasks) {
      const state = newTaskState();
      this.alloc.TaskStates[task.Name] = state;
      appendEvent(state, taskEvents.received());
      appendEvent(state, taskEvents.setup());
      if (task.Driver === 'docker') appendEvent(state, taskEvents.driver('Downloading image'));
    }
    const containers = new Map<string, V1Container>();
    for (const task of this.group.Tasks) {
      try {
        const env = taskEnvironment(this.alloc, this.group, task, this.hooks.node, this.hooks.ip);
        containers.set(task.Name, taskContainer(task, env, this.hooks.node));
      } catch (err) {
        this.failBeforeStart(task.Name, errorMessage(err));
        return;
      }
    }
    const pod = allocationPod(this.alloc, this.group, task => containers.get(task.Name)!);
    try {
      this.runtime = new PodRuntime(pod, {
        settings: this.hooks.settings,
        podIP: this.hooks.ip,
        hostIP: this.hooks.node.Attributes['unique.network.ip-address'] ?? this.hooks.ip,
        changed: () => this.onRuntimeChange(),
        restartDelayMs: (run, exitCode) => this.decideRestart(run, exitCode),
      });
    } catch (err) {
      // The mock's shell refused the command line (an unterminated quote): the driver's failure.
      this.failBeforeStart(this.group.Tasks[0]!.Name, errorMessage(err));
      return;
    }
    this.refresh();
    this.runtime.start();
  }

  /** The server wants the allocation stopped: running tasks are killed, the rest never run. */
  stop(): void {
    if (this.detached) return;
    this.killOthers(undefined, undefined);
    this.refresh();
  }

  /**
   * The node went away: the server marks the allocation lost and its tasks dead; the client reports
   * nothing more. The tasks' processes are stopped so the emulator leaks none.
   */
  lose(): void {
    if (this.detached) return;
    this.detached = true;
    const now = new Date().toISOString();
    for (const [name, state] of Object.entries(this.alloc.TaskStates ?? {})) {
      if (state.State !== 'dead') {
        state.State = 'dead';
        state.FinishedAt = now;
      }
      this.logs.get(name)?.finish();
    }
    this.runtime?.stop();
  }

  /** The running container of `task` (for exec and stats), or undefined. */
  running(task: string): ContainerRun | undefined {
    const run = this.runtime?.containers.get(task);
    return run?.state.running ? run : undefined;
  }

  private failBeforeStart(taskName: string, error: string): void {
    const state = this.state(taskName);
    appendEvent(state, taskEvents.driverFailure(error));
    appendEvent(state, taskEvents.notRestarting('Error was unrecoverable'));
    this.markDead(taskName);
    this.killOthers(taskName, taskEvents.siblingFailed(taskName));
    this.refresh();
  }

  private onRuntimeChange(): void {
    const runtime = this.runtime;
    if (this.detached || !runtime) return;
    let changed = false;
    for (const [name, run] of runtime.containers) {
      const state = this.alloc.TaskStates?.[name];
      const seen = this.seen.get(name);
      if (!state || !seen) continue;
      const log = run.logs.at(-1);
      if (log) this.logs.get(name)?.addRun(log);
      const running = run.state.running;
      if (running && seen.startedAt !== running.startedAt) {
        seen.startedAt = running.startedAt;
        seen.terminated = false;
        state.State = 'running';
        state.StartedAt = new Date(running.startedAt ?? Date.now()).toISOString();
        appendEvent(state, taskEvents.started());
        changed = true;
      } else if (run.state.terminated && seen.startedAt && !seen.terminated) {
        seen.terminated = true;
        appendEvent(state, taskEvents.terminated(run.state.terminated.exitCode));
        if (this.killing.delete(name)) {
          appendEvent(state, taskEvents.killed());
          this.markDead(name);
        }
        changed = true;
      }
    }
    if (changed) this.refresh();
  }

  /** The restart policy's verdict on a task that exited (the PodRuntime's restart hook). */
  private decideRestart(run: ContainerRun, exitCode: number): number | undefined {
    const name = run.spec.name;
    const state = this.alloc.TaskStates?.[name];
    if (this.detached || !state || state.State === 'dead' || this.killing.has(name)) return undefined;
    const decision = this.trackers.get(name)!.onExit(exitCode);
    if (decision.kind === 'restart') {
      appendEvent(state, taskEvents.restarting(decision.delayMs, decision.reason));
      state.State = 'pending';
      this.refresh();
      return decision.delayMs;
    }
    if (decision.kind === 'not-restarting') appendEvent(state, taskEvents.notRestarting(decision.reason));
    this.markDead(name);
    this.refresh();
    // Not from inside the runtime's callback: killing siblings stops the runtime.
    queueMicrotask(() => this.afterTaskDead(name));
    return undefined;
  }

  private afterTaskDead(name: string): void {
    if (this.detached) return;
    const task = this.tasks.get(name)!;
    if (this.state(name).Failed) this.killOthers(name, taskEvents.siblingFailed(name));
    else if (task.Leader) this.killOthers(name, taskEvents.leaderDead());
    else if (this.mainTasksDead()) this.killOthers(name, taskEvents.mainDead());
    this.refresh();
  }

  private mainTasksDead(): boolean {
    const main = this.group.Tasks.filter(isMainTask);
    return main.length > 0 && main.every(task => this.state(task.Name).State === 'dead');
  }

  /**
   * Kills every task but `except` that is not dead yet: running ones get `Killing` (then `Terminated`
   * and `Killed` once their process ends), the others are dead at once. `reason` is recorded first.
   */
  private killOthers(except: string | undefined, reason: TaskEvent | undefined): void {
    for (const task of this.group.Tasks) {
      if (task.Name === except) continue;
      const state = this.state(task.Name);
      if (state.State === 'dead' || this.killing.has(task.Name)) continue;
      if (reason) appendEvent(state, { ...reason });
      if (this.runtime?.containers.get(task.Name)?.state.running) {
        appendEvent(state, taskEvents.killing(task.KillTimeout ?? 5_000_000_000));
        this.killing.add(task.Name);
      } else {
        this.markDead(task.Name);
      }
    }
    // Stops what still runs and clears the pod's timers (restart back-offs, startup).
    this.runtime?.stop();
  }

  private markDead(name: string): void {
    const state = this.state(name);
    state.State = 'dead';
    state.FinishedAt = new Date().toISOString();
    this.logs.get(name)?.finish();
  }

  private refresh(): void {
    if (this.detached) return;
    const [status, description] = clientStatus(Object.values(this.alloc.TaskStates ?? {}));
    this.alloc.ClientStatus = status;
    this.alloc.ClientDescription = description;
    this.hooks.updated(this.alloc);
  }
}

/** A Nomad client's verdict on an allocation from its tasks' states. */
export function clientStatus(states: readonly TaskState[]): [ClientStatus, string] {
  if (states.some(state => state.State === 'dead' && state.Failed)) return ['failed', 'Failed tasks'];
  if (states.some(state => state.State === 'running')) return ['running', 'Tasks are running'];
  if (states.some(state => state.State === 'pending')) return ['pending', 'No tasks have started'];
  return ['complete', 'All tasks have completed'];
}
