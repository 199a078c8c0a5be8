import type { V1ContainerState } from '@kubernetes/client-node';
import {
  parseMockSettings,
  PodRuntime,
  type ContainerLog,
  type ContainerRun,
} from '@vkubelet/provider-kit/mock';
import { errorMessage } from '@vkubelet/provider-kit';

import { apiErrors } from '../rpc/errors.js';
import { EventLog } from './events.js';
import { podForGroup } from './pod.js';
import type { GroupSpec } from './spec.js';
import type { EciTiming } from './timing.js';

export type GroupStatus =
  | 'Scheduling'
  | 'ScheduleFailed'
  | 'Pending'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'Restarting'
  | 'Updating';

type Override = 'Scheduling' | 'ScheduleFailed' | 'Restarting' | 'Updating';

export interface GroupInit {
  id: string;
  uuid: string;
  /** Creation order, for stable paging. */
  seq: number;
  spec: GroupSpec;
  timing: () => EciTiming;
  allocateIp: () => string;
  /** Set when the group cannot be placed: it ends ScheduleFailed with this message. */
  scheduleFailure?: string;
}

const HOST_IP = '192.168.0.1';

/**
 * One container group through its life: Scheduling for a while, then its containers run as a mock
 * PodRuntime (Pending → Running → Succeeded/Failed per restart policy); RestartContainerGroup and
 * UpdateContainerGroup pass through Restarting/Updating and start a fresh runtime. Events are derived
 * from the runtime's container state changes.
 */
export class ContainerGroup {
  readonly id: string;
  readonly uuid: string;
  readonly seq: number;
  readonly creationTime = new Date();
  readonly events: EventLog;
  spec: GroupSpec;
  ip: string | undefined;
  statusChangedAt = new Date();
  succeededTime: Date | undefined;
  failedTime: Date | undefined;
  private runtime: PodRuntime | undefined;
  private override: Override | undefined = 'Scheduling';
  private lastStatus: GroupStatus = 'Scheduling';
  private timer: NodeJS.Timeout | undefined;
  private deleted = false;
  /** Restarts of earlier runtimes (group restarts, updates), added to the current runtime's counts. */
  private readonly restartOffsets = new Map<string, number>();
  /** Each container's last state and log in the runtime before the current one. */
  private readonly previousStates = new Map<string, V1ContainerState>();
  private readonly previousLogs = new Map<string, ContainerLog>();
  /** `container:restartCount` of the runs already announced with events. */
  private readonly announced = new Set<string>();
  private readonly pulled = new Set<string>();

  constructor(private readonly init: GroupInit) {
    this.id = init.id;
    this.uuid = init.uuid;
    this.seq = init.seq;
    this.spec = init.spec;
    this.events = new EventLog(init.spec.name);
  }

  /**
   * Refuses a spec the process model cannot run (a command the mock shell cannot parse, such as an
   * unterminated quote), naming the container's parameter, before anything is created.
   */
  static check(spec: GroupSpec): void {
    try {
      new PodRuntime(podForGroup({ uuid: '', spec, ip: '' }), {
        settings: parseMockSettings({}),
        podIP: '',
        hostIP: '',
        changed: () => {},
      });
    } catch (error) {
      const message = errorMessage(error);
      const name = /^container ([^:]+):/.exec(message)?.[1];
      const init = spec.initContainers.findIndex(container => container.name === name);
      const app = spec.containers.findIndex(container => container.name === name);
      const path = init >= 0 ? `InitContainer.${init + 1}.Command` : `Container.${app + 1}.Command`;
      throw apiErrors.invalidParameter(path, message);
    }
  }

  start(): void {
    this.after(this.init.timing().schedulingMs, () => this.schedule());
  }

  status(): GroupStatus {
    if (this.override) return this.override;
    switch (this.runtime?.status().phase) {
      case 'Running':
        return 'Running';
      case 'Succeeded':
        return 'Succeeded';
      case 'Failed':
        return 'Failed';
      default:
        return 'Pending';
    }
  }

  /** The run of a container in the current runtime (undefined while none runs). */
  containerRun(name: string): ContainerRun | undefined {
    return this.runtime?.containers.get(name);
  }

  get podRuntime(): PodRuntime | undefined {
    return this.runtime;
  }

  restartCount(name: string): number {
    return (this.containerRun(name)?.restartCount ?? 0) + (this.restartOffsets.get(name) ?? 0);
  }

  previousState(name: string): V1ContainerState | undefined {
    return this.containerRun(name)?.lastState ?? this.previousStates.get(name);
  }

  /** The log of the run before the current one (DescribeContainerLog LastTime=true). */
  previousLog(name: string): ContainerLog | undefined {
    const logs = this.containerRun(name)?.logs ?? [];
    return logs.length >= 2 ? logs[0] : this.previousLogs.get(name);
  }

  restart(): void {
    this.requireActive();
    this.events.record('Normal', 'Restarting', `Restarting container group ${this.spec.name}`);
    this.replaceRuntime('Restarting', this.init.timing().restartingMs);
  }

  /** Applies a new spec; `restart` when containers change (not for a tag-only update). */
  update(spec: GroupSpec, restart: boolean): void {
    this.requireActive();
    this.spec = spec;
    if (!restart) return;
    this.events.record('Normal', 'Updating', `Updating container group ${this.spec.name}`);
    this.replaceRuntime('Updating', this.init.timing().updatingMs);
  }

  delete(): void {
    this.deleted = true;
    clearTimeout(this.timer);
    this.stopRuntime();
  }

  private requireActive(): void {
    const status = this.status();
    if (status !== 'Pending' && status !== 'Running') throw apiErrors.incorrectGroupStatus(status);
  }

  private after(ms: number, step: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.deleted) step();
    }, ms);
  }

  private schedule(): void {
    if (this.init.scheduleFailure !== undefined) {
      this.override = 'ScheduleFailed';
      this.events.record('Warning', 'FailedScheduling', this.init.scheduleFailure);
      this.touch();
      return;
    }
    this.ip = this.init.allocateIp();
    this.events.record(
      'Normal',
      'Scheduled',
      `Successfully assigned ${this.spec.name} to ${this.spec.zoneId}`,
    );
    this.startRuntime();
  }

  private startRuntime(): void {
    const timing = this.init.timing();
    const settings = parseMockSettings({
      startupDelayMs: timing.pendingMs,
      restartDelayMs: timing.restartBackoffMs,
    });
    const runtime: PodRuntime = new PodRuntime(
      podForGroup({ uuid: this.uuid, spec: this.spec, ip: this.ip! }),
      {
        settings,
        podIP: this.ip!,
        hostIP: HOST_IP,
        changed: changed => {
          if (changed === this.runtime) this.observe(changed);
        },
      },
    );
    this.runtime = runtime;
    this.override = undefined;
    this.touch();
    runtime.start();
  }

  private replaceRuntime(override: Override, delayMs: number): void {
    this.stopRuntime();
    this.override = override;
    this.touch();
    this.after(delayMs, () => this.startRuntime());
  }

  /** Stops the current runtime, remembering each container's restarts, last state and log. */
  private stopRuntime(): void {
    const runtime = this.runtime;
    if (!runtime) return;
    this.runtime = undefined;
    const now = new Date();
    for (const [name, run] of runtime.containers) {
      const ran = run.logs.length > 0;
      this.restartOffsets.set(name, (this.restartOffsets.get(name) ?? 0) + run.restartCount + (ran ? 1 : 0));
      const log = run.logs.at(-1);
      if (log) this.previousLogs.set(name, log);
      const state = run.state.running
        ? {
            terminated: {
              exitCode: 137,
              reason: 'Killed',
              startedAt: run.state.running.startedAt,
              finishedAt: now,
            },
          }
        : run.state.terminated
          ? run.state
          : run.lastState;
      if (state) this.previousStates.set(name, state);
    }
    runtime.stop();
  }

  /** Derives events from the runtime's container states, then tracks the group status. */
  private observe(runtime: PodRuntime): void {
    for (const [name, run] of runtime.containers) {
      const count = this.restartCount(name);
      if (run.state.running && !this.announced.has(`${name}:${count}`)) {
        this.announced.add(`${name}:${count}`);
        if (!this.pulled.has(name)) {
          this.pulled.add(name);
          this.events.record('Normal', 'Pulled', `Successfully pulled image "${run.image}"`);
        }
        this.events.record('Normal', 'Created', `Created container ${name}`);
        this.events.record('Normal', 'Started', `Started container ${name}`);
      } else if (
        run.state.waiting?.reason === 'CrashLoopBackOff' &&
        !this.announced.has(`${name}:backoff:${count}`)
      ) {
        this.announced.add(`${name}:backoff:${count}`);
        this.events.record(
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${name} in pod ${this.spec.name}`,
        );
      }
    }
    this.touch();
  }

  private touch(): void {
    const status = this.status();
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    this.statusChangedAt = new Date();
    if (status === 'Succeeded') this.succeededTime = this.statusChangedAt;
    if (status === 'Failed' || status === 'ScheduleFailed') this.failedTime = this.statusChangedAt;
  }
}
