import type { MockSettings } from '@vkubelet/provider-kit/mock';

import { jobSpecKey } from './api/canonicalize.js';
import {
  nowNanos,
  type Allocation,
  type ClientStatus,
  type Evaluation,
  type Job,
  type NomadNode,
} from './api/types.js';
import { AllocRunner } from './client/alloc-runner.js';
import { HttpError } from './http/errors.js';
import { ALLOC_LOST, ALLOC_MIGRATING, Scheduler } from './scheduler/scheduler.js';
import { jobStatus, jobSummary } from './state/job-status.js';
import { createNode, type NodeOptions } from './state/nodes.js';
import { jobKey, Store } from './state/store.js';

/** Nomad keeps this many versions of a job. */
const TRACKED_VERSIONS = 6;
const ENFORCE_INDEX = 'Enforcing job modify index';

function terminal(status: ClientStatus): boolean {
  return status === 'complete' || status === 'failed' || status === 'lost';
}

export interface ClusterOptions {
  settings: MockSettings;
  /** The address every node advertises (the emulator answers for all of them). */
  httpAddr: string;
  tls: boolean;
}

export interface RegisterOptions {
  enforceIndex?: boolean;
  jobModifyIndex?: number;
}

/**
 * The emulated cluster: the state store, the scheduler, and a client per node running the
 * allocations placed on it. Everything the HTTP layer and the fault switches change goes through here.
 */
export class Cluster {
  readonly store = new Store();
  readonly scheduler: Scheduler;
  readonly runners = new Map<string, AllocRunner>();
  /** The slow-placement fault: extra time before an evaluation places anything. */
  placementDelayMs = 0;
  private readonly lastStatus = new Map<string, ClientStatus>();
  private readonly pickups = new Set<NodeJS.Timeout>();
  private nodeCount = 0;

  constructor(private readonly options: ClusterOptions) {
    this.scheduler = new Scheduler(this.store, {
      placed: (alloc, node) => this.placed(alloc, node),
      stopped: alloc => this.stopped(alloc),
      jobChanged: (namespace, id) => this.refreshJob(namespace, id),
      placementDelayMs: () => this.placementDelayMs,
    });
  }

  addNode(nodeOptions: NodeOptions): NomadNode {
    const node = createNode(nodeOptions, ++this.nodeCount, this.options.httpAddr, this.options.tls);
    node.CreateIndex = node.ModifyIndex = this.store.write('nodes');
    node.Events[0]!.CreateIndex = node.CreateIndex;
    this.store.nodes.set(node.ID, node);
    this.scheduler.unblock();
    return node;
  }

  addNamespace(name: string, description = ''): void {
    if (this.store.namespaces.has(name)) return;
    const index = this.store.write('namespaces');
    this.store.namespaces.set(name, {
      Name: name,
      Description: description,
      Quota: '',
      Capabilities: null,
      NodePoolConfiguration: null,
      Meta: null,
      CreateIndex: index,
      ModifyIndex: index,
    });
  }

  /** Registers (creates or updates) a canonical job; an unchanged job gets an evaluation but no new version. */
  register(candidate: Job, options: RegisterOptions = {}): { job: Job; evaluation: Evaluation } {
    if (!this.store.namespaces.has(candidate.Namespace)) {
      throw new HttpError(500, `job "${candidate.ID}" is in nonexistent namespace "${candidate.Namespace}"`);
    }
    const key = jobKey(candidate.Namespace, candidate.ID);
    const existing = this.store.jobs.get(key);
    if (options.enforceIndex) {
      const wanted = options.jobModifyIndex ?? 0;
      if (wanted === 0 && existing) throw new HttpError(500, `${ENFORCE_INDEX} 0: job already exists`);
      if (wanted !== 0 && !existing)
        throw new HttpError(500, `${ENFORCE_INDEX} ${wanted}: job does not exist`);
      if (existing && wanted !== 0 && existing.JobModifyIndex !== wanted) {
        throw new HttpError(
          500,
          `${ENFORCE_INDEX} ${wanted}: job exists with conflicting job modify index: ${existing.JobModifyIndex}`,
        );
      }
    }
    let job = existing;
    if (!existing || jobSpecKey(existing) !== jobSpecKey(candidate)) {
      job = this.storeVersion(candidate, existing);
    }
    const evaluation = this.scheduler.createEval(job!, 'job-register');
    return { job: job!, evaluation };
  }

  private storeVersion(candidate: Job, existing: Job | undefined): Job {
    const index = this.store.write('jobs', 'job_version', 'job_summary');
    const job: Job = {
      ...candidate,
      Version: existing ? existing.Version + 1 : 0,
      SubmitTime: nowNanos(),
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      JobModifyIndex: index,
      Status: existing?.Status ?? 'pending',
      StatusDescription: '',
      Stable: false,
    };
    const key = jobKey(job.Namespace, job.ID);
    this.store.jobs.set(key, job);
    this.store.jobVersions.set(
      key,
      [job, ...(this.store.jobVersions.get(key) ?? [])].slice(0, TRACKED_VERSIONS),
    );
    return job;
  }

  /** Stops a job (a new version with Stop set), or with `purge` forgets it; its allocations are stopped. */
  deregister(
    namespace: string,
    id: string,
    purge: boolean,
  ): { job: Job | undefined; evaluation: Evaluation } {
    const key = jobKey(namespace, id);
    let job = this.store.jobs.get(key);
    if (job && purge) {
      this.store.jobs.delete(key);
      this.store.jobVersions.delete(key);
      this.store.write('jobs', 'job_version', 'job_summary');
    } else if (job && !job.Stop) {
      job = this.storeVersion({ ...job, Stop: true }, job);
    }
    const evaluation = this.scheduler.createEval(
      job ?? { Namespace: namespace, ID: id, Priority: 50, Type: 'service', JobModifyIndex: 0 },
      'job-deregister',
    );
    return { job, evaluation };
  }

  /** `/v1/allocation/<id>/stop`: the allocation is stopped and, as a migration, replaced. */
  stopAllocation(alloc: Allocation): Evaluation {
    alloc.DesiredTransition = { Migrate: true };
    this.scheduler.stopAlloc(alloc, ALLOC_MIGRATING);
    const job = this.store.job(alloc.Namespace, alloc.JobID) ?? alloc.Job;
    return this.scheduler.createEval(job, 'alloc-stop');
  }

  /** The node stops heartbeating: its allocations are lost, their jobs re-evaluated (replacements placed). */
  loseNode(node: NomadNode): void {
    node.Status = 'down';
    node.StatusDescription = 'node heartbeat missed';
    node.ModifyIndex = this.store.write('nodes');
    node.StatusUpdatedAt = Math.floor(Date.now() / 1000);
    node.Events.push({
      Message: 'Node heartbeat missed',
      Subsystem: 'Cluster',
      Details: null,
      Timestamp: new Date().toISOString(),
      CreateIndex: node.ModifyIndex,
    });
    const jobs = new Map<string, Job>();
    for (const alloc of this.store.allocsOnNode(node.ID)) {
      if (terminal(alloc.ClientStatus)) continue;
      this.runners.get(alloc.ID)?.lose();
      alloc.ClientStatus = 'lost';
      alloc.ClientDescription = '';
      alloc.DesiredStatus = 'stop';
      alloc.DesiredDescription = ALLOC_LOST;
      alloc.ModifyIndex = alloc.AllocModifyIndex = this.store.write('allocs', 'job_summary');
      alloc.ModifyTime = nowNanos();
      this.lastStatus.set(alloc.ID, 'lost');
      const job = this.store.job(alloc.Namespace, alloc.JobID);
      if (job) jobs.set(jobKey(job.Namespace, job.ID), job);
    }
    for (const job of jobs.values()) {
      if (!job.Stop) {
        this.scheduler.createEval(job, 'node-update', { NodeID: node.ID, NodeModifyIndex: node.ModifyIndex });
      }
      this.refreshJob(job.Namespace, job.ID);
    }
  }

  restoreNode(node: NomadNode): void {
    node.Status = 'ready';
    node.StatusDescription = '';
    node.ModifyIndex = this.store.write('nodes');
    this.scheduler.unblock();
  }

  private placed(alloc: Allocation, node: NomadNode): void {
    const ip = alloc.NetworkStatus?.Address || node.Attributes['unique.network.ip-address'] || '';
    const group = alloc.Job.TaskGroups.find(candidate => candidate.Name === alloc.TaskGroup)!;
    const runner = new AllocRunner(alloc, group, {
      settings: this.options.settings,
      node,
      ip,
      updated: updated => this.allocUpdated(updated),
    });
    this.runners.set(alloc.ID, runner);
    this.lastStatus.set(alloc.ID, alloc.ClientStatus);
    // The node's client picks the allocation up a moment later, as a real client pulls it.
    const pickup = setTimeout(() => {
      this.pickups.delete(pickup);
      if (alloc.DesiredStatus === 'run' && alloc.ClientStatus === 'pending') runner.start();
    }, 0);
    this.pickups.add(pickup);
    this.refreshJob(alloc.Namespace, alloc.JobID);
  }

  private stopped(alloc: Allocation): void {
    const runner = this.runners.get(alloc.ID);
    if (alloc.TaskStates === null && alloc.ClientStatus === 'pending') {
      // Stopped before the client started it: nothing ran.
      alloc.ClientStatus = 'complete';
      alloc.ClientDescription = 'All tasks have completed';
      this.allocUpdated(alloc);
      return;
    }
    runner?.stop();
    this.refreshJob(alloc.Namespace, alloc.JobID);
  }

  /** The client reported a change of the allocation. */
  private allocUpdated(alloc: Allocation): void {
    alloc.ModifyIndex = this.store.write('allocs', 'job_summary');
    alloc.ModifyTime = nowNanos();
    const previous = this.lastStatus.get(alloc.ID);
    this.lastStatus.set(alloc.ID, alloc.ClientStatus);
    if (previous !== alloc.ClientStatus && terminal(alloc.ClientStatus)) {
      const job = this.store.job(alloc.Namespace, alloc.JobID);
      if (alloc.ClientStatus === 'failed' && alloc.DesiredStatus === 'run' && job && !job.Stop) {
        this.scheduler.createEval(job, 'alloc-failure');
      }
      this.scheduler.unblock();
    }
    this.refreshJob(alloc.Namespace, alloc.JobID);
  }

  /** Recomputes a job's status from its allocations and evaluations (a change bumps its ModifyIndex). */
  refreshJob(namespace: string, id: string): void {
    const job = this.store.job(namespace, id);
    if (!job) return;
    const status = jobStatus(job, this.currentAllocs(job), this.store.evalsOfJob(namespace, id));
    if (status === job.Status) return;
    job.Status = status;
    job.ModifyIndex = this.store.write('jobs');
  }

  /** Allocations of this incarnation of the job (one purged and registered again starts afresh). */
  currentAllocs(job: Job): Allocation[] {
    return this.store
      .allocsOfJob(job.Namespace, job.ID)
      .filter(alloc => alloc.Job.CreateIndex === job.CreateIndex);
  }

  summary(job: Job): Record<string, unknown> {
    const queued = this.scheduler.queued.get(jobKey(job.Namespace, job.ID)) ?? new Map<string, number>();
    return jobSummary(job, this.currentAllocs(job), queued, this.store.indexOf('job_summary'));
  }

  /** What still exists: jobs, and allocations whose tasks may still run (leak checks in tests). */
  listResources(): string[] {
    const jobs = [...this.store.jobs.values()].map(job => `job/${job.Namespace}/${job.ID}`);
    const allocs = [...this.store.allocs.values()]
      .filter(alloc => !terminal(alloc.ClientStatus))
      .map(alloc => `alloc/${alloc.Namespace}/${alloc.JobID}/${alloc.ID}`);
    return [...jobs, ...allocs];
  }

  close(): void {
    this.scheduler.close();
    for (const pickup of this.pickups) clearTimeout(pickup);
    this.pickups.clear();
    for (const runner of this.runners.values()) runner.lose();
  }
}
