import { randomUUID } from 'node:crypto';

import {
  NANOS_PER_MS,
  nowNanos,
  ZERO_TIME,
  type Allocation,
  type AllocationMetric,
  type Evaluation,
  type Job,
  type NomadNode,
  type TaskGroup,
} from '../api/types.js';
import type { Store } from '../state/store.js';
import { allocationUsage, placeGroup, type NodeUsage } from './placement.js';
import { rescheduleDecision } from './reschedule.js';

export const ALLOC_NOT_NEEDED = 'alloc not needed due to job update';
export const ALLOC_UPDATING = 'alloc is being updated due to job update';
export const ALLOC_LOST = 'alloc is lost since its node is down';
export const ALLOC_RESCHEDULED = 'alloc was rescheduled because it failed';
export const ALLOC_MIGRATING = 'alloc is being migrated';

/** What the scheduler asks of the rest of the emulator. */
export interface SchedulerHooks {
  /** A new allocation was placed: the node's client picks it up. */
  placed(alloc: Allocation, node: NomadNode): void;
  /** The server set an allocation's desired status to stop: the client kills its tasks. */
  stopped(alloc: Allocation): void;
  /** The evaluations or allocations of a job changed (job status, summary). */
  jobChanged(namespace: string, jobId: string): void;
  /** Extra time before an evaluation is processed (the slow-placement fault). */
  placementDelayMs(): number;
}

function groupSpec(job: Job, group: string): string {
  return JSON.stringify(
    job.TaskGroups.find(candidate => candidate.Name === group) ?? null,
    (key, value: unknown) => (key === 'Count' ? undefined : value),
  );
}

function allocIndex(alloc: Allocation): number {
  return Number(/\[(\d+)\]$/.exec(alloc.Name)?.[1] ?? 0);
}

/** When an allocation failed: the last of its tasks' finish times, else its last change. */
function failedAtMs(alloc: Allocation): number {
  const finished = Object.values(alloc.TaskStates ?? {})
    .map(state => Date.parse(state.FinishedAt))
    .filter(time => Number.isFinite(time) && time > 0);
  return finished.length > 0 ? Math.max(...finished) : alloc.ModifyTime / NANOS_PER_MS;
}

/**
 * Nomad's server side, for service and batch jobs: evaluations (pending → complete, blocked when
 * allocations cannot be placed, delayed follow-ups for rescheduling) and the reconciler that makes a
 * job's allocations match its groups: places missing ones, replaces lost and failed ones by the
 * reschedule policy, stops extra and outdated ones.
 */
export class Scheduler {
  /** Allocations each group could not place at its last evaluation (JobSummary's Queued). */
  readonly queued = new Map<string, Map<string, number>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly hooks: SchedulerHooks,
  ) {}

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Creates an evaluation for a job and processes it once its time has come. */
  createEval(
    job: Pick<Job, 'Namespace' | 'ID' | 'Priority' | 'Type' | 'JobModifyIndex'>,
    triggeredBy: string,
    fields: Partial<Evaluation> = {},
  ): Evaluation {
    const index = this.store.write('evals');
    const now = nowNanos();
    const evaluation: Evaluation = {
      ID: randomUUID(),
      Namespace: job.Namespace,
      Priority: job.Priority,
      Type: job.Type,
      TriggeredBy: triggeredBy,
      JobID: job.ID,
      JobModifyIndex: job.JobModifyIndex,
      NodeID: '',
      NodeModifyIndex: 0,
      DeploymentID: '',
      Status: 'pending',
      StatusDescription: '',
      Wait: 0,
      WaitUntil: ZERO_TIME,
      NextEval: '',
      PreviousEval: '',
      BlockedEval: '',
      FailedTGAllocs: null,
      ClassEligibility: null,
      EscapedComputedClass: false,
      QuotaLimitReached: '',
      AnnotatePlan: false,
      QueuedAllocations: null,
      SnapshotIndex: 0,
      CreateIndex: index,
      ModifyIndex: index,
      CreateTime: now,
      ModifyTime: now,
      ...fields,
    };
    this.store.addEval(evaluation);
    const waitUntil = evaluation.WaitUntil === ZERO_TIME ? Date.now() : Date.parse(evaluation.WaitUntil);
    if (evaluation.Status === 'pending') {
      this.later(Math.max(0, waitUntil - Date.now()) + this.hooks.placementDelayMs(), () =>
        this.process(evaluation),
      );
    }
    this.hooks.jobChanged(job.Namespace, job.ID);
    return evaluation;
  }

  /** Capacity was freed or added: blocked evaluations try again. */
  unblock(): void {
    for (const evaluation of this.store.evals.values()) {
      if (evaluation.Status === 'blocked')
        this.later(this.hooks.placementDelayMs(), () => this.process(evaluation));
    }
  }

  private later(ms: number, step: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) step();
    }, ms);
    this.timers.add(timer);
  }

  private process(evaluation: Evaluation): void {
    if (evaluation.Status !== 'pending' && evaluation.Status !== 'blocked') return;
    const job = this.store.job(evaluation.Namespace, evaluation.JobID);
    const failures = this.reconcile(job, evaluation);
    const wasBlocked = evaluation.Status === 'blocked';
    if (failures.size > 0 && job) {
      const failedAllocs = Object.fromEntries([...failures].map(([group, { metrics }]) => [group, metrics]));
      const queued = Object.fromEntries([...failures].map(([group, { count }]) => [group, count]));
      this.queued.set(evaluation.Namespace + '\u0000' + evaluation.JobID, new Map(Object.entries(queued)));
      if (!wasBlocked) {
        this.cancelBlocked(evaluation.Namespace, evaluation.JobID);
        const blocked = this.createEval(job, 'queued-allocs', {
          Status: 'blocked',
          StatusDescription: 'created to place remaining allocations',
          PreviousEval: evaluation.ID,
          ClassEligibility: {},
        });
        evaluation.BlockedEval = blocked.ID;
        evaluation.FailedTGAllocs = failedAllocs;
        evaluation.QueuedAllocations = queued;
        this.finishEval(evaluation, 'complete');
      } else {
        evaluation.ModifyIndex = this.store.write('evals');
      }
    } else {
      this.queued.delete(evaluation.Namespace + '\u0000' + evaluation.JobID);
      evaluation.QueuedAllocations = Object.fromEntries(
        (job?.TaskGroups ?? []).map(group => [group.Name, 0]),
      );
      this.finishEval(evaluation, 'complete');
      if (!wasBlocked) this.cancelBlocked(evaluation.Namespace, evaluation.JobID);
    }
    this.hooks.jobChanged(evaluation.Namespace, evaluation.JobID);
  }

  private finishEval(evaluation: Evaluation, status: Evaluation['Status'], description?: string): void {
    evaluation.Status = status;
    if (description !== undefined) evaluation.StatusDescription = description;
    evaluation.ModifyIndex = this.store.write('evals');
    evaluation.ModifyTime = nowNanos();
  }

  private cancelBlocked(namespace: string, jobId: string): void {
    for (const other of this.store.evalsOfJob(namespace, jobId)) {
      if (other.Status === 'blocked') {
        this.finishEval(other, 'canceled', 'evaluation canceled since a newer one exists for the job');
      }
    }
  }

  /** Stops an allocation on the server's side (its tasks are killed by the client). */
  stopAlloc(alloc: Allocation, description: string): void {
    alloc.DesiredStatus = 'stop';
    alloc.DesiredDescription = description;
    alloc.ModifyIndex = alloc.AllocModifyIndex = this.store.write('allocs');
    alloc.ModifyTime = nowNanos();
    this.hooks.stopped(alloc);
  }

  /** Makes the job's allocations match it; returns the placements that failed per group. */
  private reconcile(
    job: Job | undefined,
    evaluation: Evaluation,
  ): Map<string, { metrics: AllocationMetric; count: number }> {
    const failures = new Map<string, { metrics: AllocationMetric; count: number }>();
    const allocs = this.store.allocsOfJob(evaluation.Namespace, evaluation.JobID);
    const live = allocs.filter(alloc => alloc.DesiredStatus === 'run');
    if (!job || job.Stop) {
      for (const alloc of live) this.stopAlloc(alloc, ALLOC_NOT_NEEDED);
      return failures;
    }
    const groups = new Set(job.TaskGroups.map(group => group.Name));
    for (const alloc of live) if (!groups.has(alloc.TaskGroup)) this.stopAlloc(alloc, ALLOC_NOT_NEEDED);
    const usage = this.nodeUsage();
    for (const group of job.TaskGroups) {
      const current = allocs.filter(
        alloc =>
          alloc.TaskGroup === group.Name &&
          alloc.NextAllocation === '' &&
          alloc.Job.CreateIndex === job.CreateIndex,
      );
      const keep: Allocation[] = [];
      const replace: Allocation[] = [];
      const rescheduleDelays = new Map<string, number>();
      for (const alloc of current.sort((a, b) => allocIndex(a) - allocIndex(b))) {
        if (alloc.ClientStatus === 'lost' || alloc.DesiredTransition['Migrate'] === true) {
          replace.push(alloc);
        } else if (alloc.DesiredStatus !== 'run') {
          continue;
        } else if (alloc.ClientStatus === 'failed') {
          const decision = rescheduleDecision(alloc, group.ReschedulePolicy, failedAtMs(alloc), Date.now());
          if (!decision.eligible) keep.push(alloc);
          // A follow-up timer may fire a hair early; it counts as due.
          else if (decision.atMs > Date.now() + 10) {
            keep.push(alloc);
            this.followUp(job, alloc, decision.atMs);
          } else {
            rescheduleDelays.set(alloc.ID, decision.delayNanos);
            replace.push(alloc);
          }
        } else if (alloc.ClientStatus === 'complete' && job.Type !== 'batch') {
          replace.push(alloc);
        } else if (
          alloc.Job.Version !== job.Version &&
          groupSpec(alloc.Job, group.Name) !== groupSpec(job, group.Name)
        ) {
          this.stopAlloc(alloc, ALLOC_UPDATING);
          replace.push(alloc);
        } else {
          if (alloc.Job.Version !== job.Version) {
            alloc.Job = job;
            alloc.ModifyIndex = alloc.AllocModifyIndex = this.store.write('allocs');
          }
          keep.push(alloc);
        }
      }
      // Scale down: the highest indexes go first.
      while (keep.length + replace.length > group.Count) {
        const extra = replace.length > 0 ? replace.pop()! : keep.pop()!;
        if (extra.DesiredStatus === 'run') this.stopAlloc(extra, ALLOC_NOT_NEEDED);
      }
      const used = new Set([...keep, ...replace].map(allocIndex));
      const placements: Array<{ index: number; previous?: Allocation }> = replace.map(previous => ({
        index: allocIndex(previous),
        previous,
      }));
      for (let index = 0; placements.length + keep.length < group.Count; index++) {
        if (!used.has(index)) placements.push({ index });
      }
      for (const placement of placements) {
        const result = placeGroup(job, group, [...this.store.nodes.values()], node => usage.get(node.ID)!);
        if (!result.placed) {
          const failure = failures.get(group.Name);
          if (failure) {
            failure.count++;
            failure.metrics.CoalescedFailures++;
          } else failures.set(group.Name, { metrics: result.metrics, count: 1 });
          continue;
        }
        const alloc = this.newAlloc(job, group, placement.index, evaluation, result);
        allocationUsage(alloc.AllocatedResources, usage.get(result.node.ID)!);
        if (placement.previous)
          this.link(placement.previous, alloc, rescheduleDelays.get(placement.previous.ID));
        this.store.addAlloc(alloc);
        this.hooks.placed(alloc, result.node);
      }
    }
    return failures;
  }

  /** A delayed reschedule: one follow-up evaluation per failed allocation, processed when due. */
  private followUp(job: Job, alloc: Allocation, atMs: number): void {
    if (alloc.FollowupEvalID && this.store.evals.get(alloc.FollowupEvalID)?.Status === 'pending') return;
    const followUp = this.createEval(job, 'alloc-failure', {
      StatusDescription: 'created for delayed rescheduling',
      WaitUntil: new Date(atMs).toISOString(),
      Wait: 0,
    });
    alloc.FollowupEvalID = followUp.ID;
    alloc.ModifyIndex = this.store.write('allocs');
  }

  /** `replacement` takes the place of `previous` (lost, updated, or failed and rescheduled after `delay`). */
  private link(previous: Allocation, replacement: Allocation, delayNanos: number | undefined): void {
    previous.NextAllocation = replacement.ID;
    replacement.PreviousAllocation = previous.ID;
    if (delayNanos !== undefined) {
      const events = previous.RescheduleTracker?.Events ?? [];
      replacement.RescheduleTracker = {
        Events: [
          ...events,
          {
            RescheduleTime: nowNanos(),
            PrevAllocID: previous.ID,
            PrevNodeID: previous.NodeID,
            Delay: delayNanos,
          },
        ],
      };
      if (previous.DesiredStatus === 'run') {
        previous.DesiredStatus = 'stop';
        previous.DesiredDescription = ALLOC_RESCHEDULED;
      }
    }
    previous.ModifyIndex = previous.AllocModifyIndex = this.store.write('allocs');
  }

  private newAlloc(
    job: Job,
    group: TaskGroup,
    index: number,
    evaluation: Evaluation,
    placement: Extract<ReturnType<typeof placeGroup>, { placed: true }>,
  ): Allocation {
    const storeIndex = this.store.write('allocs', 'job_summary');
    const now = nowNanos();
    const bridge = group.Networks?.[0]?.Mode === 'bridge';
    return {
      ID: randomUUID(),
      Namespace: job.Namespace,
      EvalID: evaluation.ID,
      Name: `${job.ID}.${group.Name}[${index}]`,
      NodeID: placement.node.ID,
      NodeName: placement.node.Name,
      JobID: job.ID,
      Job: job,
      TaskGroup: group.Name,
      AllocatedResources: placement.resources,
      Metrics: { ...placement.metrics, NodesExhausted: 0, DimensionExhausted: null },
      DesiredStatus: 'run',
      DesiredDescription: '',
      DesiredTransition: {},
      ClientStatus: 'pending',
      ClientDescription: '',
      TaskStates: null,
      DeploymentID: '',
      FollowupEvalID: '',
      PreviousAllocation: '',
      NextAllocation: '',
      RescheduleTracker: null,
      NetworkStatus: bridge
        ? { InterfaceName: 'eth0', Address: this.bridgeAddress(), AddressIPv6: '', DNS: null }
        : null,
      PreemptedAllocations: null,
      PreemptedByAllocation: '',
      CreateIndex: storeIndex,
      ModifyIndex: storeIndex,
      AllocModifyIndex: storeIndex,
      CreateTime: now,
      ModifyTime: now,
    };
  }

  private bridgeCounter = 0;

  /** Nomad's bridge network hands out 172.26.64.0/20 addresses. */
  private bridgeAddress(): string {
    const n = 2 + this.bridgeCounter++;
    return `172.26.${64 + ((n >> 8) & 15)}.${n & 255}`;
  }

  /** What the non-terminal allocations use on each node. */
  private nodeUsage(): Map<string, NodeUsage> {
    const usage = new Map<string, NodeUsage>();
    for (const node of this.store.nodes.values()) {
      usage.set(node.ID, { cpu: 0, memoryMB: 0, cores: 0, diskMB: 0, ports: new Set() });
    }
    for (const alloc of this.store.allocs.values()) {
      const terminal =
        alloc.ClientStatus === 'complete' || alloc.ClientStatus === 'failed' || alloc.ClientStatus === 'lost';
      const node = usage.get(alloc.NodeID);
      if (!terminal && node) allocationUsage(alloc.AllocatedResources, node);
    }
    return usage;
  }
}
