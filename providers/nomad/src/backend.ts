import type { V1Pod } from '@kubernetes/client-node';
import {
  InvalidInputError,
  podIdentity,
  TransientError,
  type BackendEvents,
  type CallOptions,
  type Logger,
  type PodBackend,
  type PodObservation,
  type ResourceLister,
  type TrackedPod,
} from '@vkubelet/provider-kit';

import { runBlockingLoop } from './blocking-loop.js';
import { identityFromMeta, jobId as jobIdOf, META, podFromMeta } from './mapping/identity.js';
import { buildJob, type JobSettings } from './mapping/job.js';
import { readVolumeFiles } from './mapping/volumes.js';
import type { NomadApi } from './nomad/api.js';
import { NomadApiError } from './nomad/client.js';
import type { AllocationListStub, Job, JobListStub } from './nomad/types.js';
import { allocTerminal, observeJob, type JobState } from './status.js';

export interface NomadBackendOptions {
  api: NomadApi;
  settings: JobSettings;
  /** ConfigMaps and Secrets for volume contents (core's caches). */
  resources: ResourceLister;
  /** The address of a Nomad client node, for allocations without a group network. */
  nodeAddress: (nodeId: string) => string | undefined;
  /** How long Nomad may hold a blocking query (ms). */
  blockingWaitMs: number;
  logger: Logger;
}

/** The last answer of a followed list, with the index it reflects. */
interface Snapshot<T> {
  index: number;
  byJob: Map<string, T>;
}

/** `Enforcing job modify index 0: job already exists`: a check-and-set register lost the race. */
function alreadyExists(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof NomadApiError && /job already exists/.test(cause.body);
}

const sameAllocs = (a: readonly AllocationListStub[], b: readonly AllocationListStub[]): boolean =>
  a.length === b.length &&
  a.every((alloc, i) => alloc.ID === b[i]!.ID && alloc.ModifyIndex === b[i]!.ModifyIndex);

/**
 * Pods as Nomad jobs, one per pod (see `buildJob`), found again by ID and the UID in their Meta.
 * Status is pushed: `watch` follows the jobs and the allocations of the configured namespace with
 * blocking queries and reports every pod whose allocations or job changed. Deleting purges the job;
 * the pod ends once Nomad has stopped its allocations.
 */
export class NomadBackend implements PodBackend<JobState> {
  private jobs: Snapshot<JobListStub> | undefined;
  private allocs: Snapshot<AllocationListStub[]> | undefined;
  /** Bridge-mode allocation addresses (the list does not carry them), and the version last read. */
  private readonly addresses = new Map<string, { modifyIndex: number; address?: string }>();
  private readonly prefix: string;

  constructor(private readonly options: NomadBackendOptions) {
    this.prefix = `${options.settings.jobPrefix}.`;
  }

  private get api(): NomadApi {
    return this.options.api;
  }

  async create(pod: V1Pod, { signal }: CallOptions): Promise<JobState> {
    const { settings, resources } = this.options;
    // Refuse what Nomad cannot run before reading anything, then build with the volumes' files.
    buildJob(pod, settings, { volumeFiles: new Map() });
    const job = buildJob(pod, settings, { volumeFiles: await readVolumeFiles(pod, resources) });
    try {
      const answer = await this.api.registerJob(job, true, signal);
      return this.stateOf(job.ID, answer.JobModifyIndex);
    } catch (error) {
      if (!alreadyExists(error)) throw error;
      // Someone registered it between our look and our register: ours after all, or a conflict.
      const found = await this.find(pod, { signal });
      if (found) return found;
      throw new TransientError(`nomad: job ${job.ID} appeared while registering it; trying again`, {
        cause: error,
      });
    }
  }

  /**
   * The job of this pod's UID. A job of the same ID run for another pod is left alone while it runs
   * (the runtime retries); once stopped, this node's is purged so the ID can be registered afresh.
   */
  async find(pod: V1Pod, { signal }: CallOptions): Promise<JobState | undefined> {
    const { uid, namespace, name } = podIdentity(pod);
    const id = jobIdOf(this.options.settings.jobPrefix, namespace, name);
    const job = await this.api.readJob(id, signal);
    if (!job) return undefined;
    const owner = identityFromMeta(job.Meta);
    if (owner?.uid === uid) return { ...this.stateOf(job.ID, job.CreateIndex), job: jobSummary(job) };
    const node = job.Meta?.[META.node];
    if (node !== undefined && node !== this.options.settings.nodeName) {
      throw new InvalidInputError(
        `nomad: job ${id} in namespace ${job.Namespace} belongs to a pod of node ${node}; ` +
          'use another jobPrefix for this node',
      );
    }
    if (!job.Stop && job.Status !== 'dead') {
      throw new TransientError(
        `nomad: job ${id} still runs pod UID ${owner?.uid ?? '(none)'}; waiting for it to stop`,
      );
    }
    await this.api.deregisterJob(id, true, signal);
    return undefined;
  }

  /** Applies a new image: Nomad replaces the allocation (a restart, as far as the pod can tell). */
  async update(pod: V1Pod, record: TrackedPod<JobState>, { signal }: CallOptions): Promise<JobState | void> {
    const images = (p: V1Pod) =>
      JSON.stringify([...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map(c => c.image));
    if (images(pod) === images(record.pod)) return undefined;
    const job = buildJob(pod, this.options.settings, {
      volumeFiles: await readVolumeFiles(pod, this.options.resources),
    });
    await this.api.registerJob(job, false, signal);
    return undefined;
  }

  async delete(record: TrackedPod<JobState>, { signal }: CallOptions): Promise<JobState | null> {
    await this.api.deregisterJob(record.state.jobId, true, signal);
    // The pod ends with its containers' last states once Nomad has stopped them (the watch follows);
    // a job that never got an allocation is simply gone.
    return record.state.allocs.length === 0 ? null : { ...record.state, purged: true };
  }

  /** The jobs this node registered (by their Meta), with their allocations: adoption after a restart. */
  async list({ signal }: CallOptions): Promise<Array<{ pod: V1Pod; state: JobState }>> {
    const { settings } = this.options;
    const [jobs, allocs] = await Promise.all([
      this.api.listJobs(this.prefix, signal),
      this.api.listAllocations(this.allocFilter(), signal),
    ]);
    this.jobs = { index: jobs.index, byJob: new Map(jobs.body.map(stub => [stub.ID, stub])) };
    this.allocs = { index: allocs.index, byJob: groupByJob(allocs.body) };
    await this.learnAddresses(allocs.body, signal);
    const adopted: Array<{ pod: V1Pod; state: JobState }> = [];
    for (const stub of jobs.body) {
      const identity = identityFromMeta(stub.Meta);
      if (!identity || stub.Meta?.[META.node] !== settings.nodeName) continue;
      adopted.push({
        pod: podFromMeta(identity, stub.Meta, settings.nodeName),
        state: { ...this.stateOf(stub.ID, stub.CreateIndex), job: jobSummary(stub) },
      });
    }
    return adopted;
  }

  /** Follows jobs and allocations with blocking queries until `signal` aborts. */
  async watch(events: BackendEvents<JobState>, signal: AbortSignal): Promise<void> {
    const { blockingWaitMs: waitMs, logger } = this.options;
    await Promise.all([
      runBlockingLoop({
        name: 'jobs',
        signal,
        logger,
        read: (index, abort) => this.api.listJobs(this.prefix, abort, { index, waitMs }),
        onAnswer: (body, index) => {
          this.jobs = { index, byJob: new Map(body.map(stub => [stub.ID, stub])) };
          return this.reconcile(events, signal);
        },
      }),
      runBlockingLoop({
        name: 'allocations',
        signal,
        logger,
        read: (index, abort) => this.api.listAllocations(this.allocFilter(), abort, { index, waitMs }),
        onAnswer: (body, index) => {
          this.allocs = { index, byJob: groupByJob(body) };
          const listed = new Set(body.map(alloc => alloc.ID));
          for (const id of this.addresses.keys()) if (!listed.has(id)) this.addresses.delete(id);
          return this.reconcile(events, signal);
        },
      }),
    ]);
  }

  observe(record: TrackedPod<JobState>): PodObservation {
    return observeJob(record.pod, record.state, this.options.nodeAddress);
  }

  async close(): Promise<void> {
    await this.api.client.close();
  }

  /** Allocations of this prefix's jobs only (go-bexpr, evaluated by Nomad). */
  private allocFilter(): string {
    return `JobID matches "^${this.prefix.replace(/[.]/g, '[.]')}"`;
  }

  /** A new pod's state from what the watch has seen so far (it may already know its allocations). */
  private stateOf(jobId: string, createIndex: number): JobState {
    const allocs = allocsSince(this.allocs?.byJob.get(jobId) ?? [], createIndex, undefined);
    return { jobId, createIndex, allocs, purged: false, firstSeen: new Date(), ...this.addressesOf(allocs) };
  }

  /** The known bridge addresses of these allocations, as a state field. */
  private addressesOf(allocs: readonly AllocationListStub[]): Pick<JobState, 'addresses'> {
    const known = allocs.flatMap(alloc => {
      const address = this.addresses.get(alloc.ID)?.address;
      return address ? [[alloc.ID, address] as const] : [];
    });
    return known.length > 0 ? { addresses: Object.fromEntries(known) } : {};
  }

  /**
   * Reads the allocations in bridge networking whose address is not known yet: only the full
   * allocation has it (`NetworkStatus`), and Nomad sets it once the client built the network. Read
   * again after each change of the allocation until it is there.
   */
  private async learnAddresses(allocs: readonly AllocationListStub[], signal: AbortSignal): Promise<void> {
    const wanted = allocs.filter(alloc => {
      if (alloc.AllocatedResources?.Shared?.Networks?.[0]?.Mode !== 'bridge') return false;
      if (!alloc.NodeID || allocTerminal(alloc)) return false;
      const known = this.addresses.get(alloc.ID);
      return !known?.address && known?.modifyIndex !== alloc.ModifyIndex;
    });
    await Promise.all(
      wanted.map(async alloc => {
        try {
          const full = await this.api.readAllocation(alloc.ID, signal);
          const address = full.NetworkStatus?.Address;
          this.addresses.set(alloc.ID, { modifyIndex: alloc.ModifyIndex, ...(address ? { address } : {}) });
        } catch (error) {
          if (!signal.aborted)
            this.options.logger.debug('reading an allocation for its address failed', {
              alloc: alloc.ID,
              error: String(error),
            });
        }
      }),
    );
  }

  /** Reports every tracked pod whose job or allocations changed in the latest answers. */
  private async reconcile(events: BackendEvents<JobState>, signal: AbortSignal): Promise<void> {
    const records = events.pods.list();
    // Pods of one name created one after another share a job ID: each owns the allocations created
    // between its job's registration and the next one's.
    const incarnations = new Map<string, number[]>();
    for (const record of records) {
      const list = incarnations.get(record.state.jobId) ?? [];
      list.push(record.state.createIndex);
      incarnations.set(record.state.jobId, list);
    }
    const tracked = new Set(records.map(record => record.state.jobId));
    const ours = [...(this.allocs?.byJob ?? [])]
      .filter(([job]) => tracked.has(job))
      .flatMap(([, list]) => list);
    await this.learnAddresses(ours, signal);
    // The records as they are now: a create or delete may have finished while addresses were read.
    for (const record of events.pods.list()) {
      if (record.gone) continue;
      const next = this.nextState(record, incarnations.get(record.state.jobId) ?? []);
      if (next !== undefined) events.report(record.uid, next);
    }
  }

  /** The record's state after the latest answers: a new state, null once gone, undefined if unchanged. */
  private nextState(
    record: TrackedPod<JobState>,
    incarnations: readonly number[],
  ): JobState | null | undefined {
    const state = record.state;
    let allocs = state.allocs;
    if (this.allocs) {
      const later = incarnations.filter(index => index > state.createIndex);
      const until = later.length > 0 ? Math.min(...later) : undefined;
      allocs = allocsSince(this.allocs.byJob.get(state.jobId) ?? [], state.createIndex, until);
    }
    let job = state.job;
    let missing = false;
    if (this.jobs && this.jobs.index >= state.createIndex) {
      const stub = this.jobs.byJob.get(state.jobId);
      if (stub && identityFromMeta(stub.Meta)?.uid === record.uid) job = jobSummary(stub);
      else missing = true;
    }
    const next: JobState = { ...state, allocs, job, addresses: undefined, ...this.addressesOf(allocs) };
    if (state.purged) return allocs.length === 0 ? null : changed(state, next);
    // Our own delete may be purging it right now; its answer decides then.
    if (missing) return record.deleting ? undefined : null;
    return changed(state, next);
  }
}

function changed(before: JobState, after: JobState): JobState | undefined {
  const same =
    sameAllocs(before.allocs, after.allocs) &&
    before.job?.stop === after.job?.stop &&
    before.job?.status === after.job?.status &&
    JSON.stringify(before.addresses) === JSON.stringify(after.addresses);
  return same ? undefined : after;
}

function jobSummary(job: Job | JobListStub): { stop: boolean; status: string } {
  return { stop: job.Stop, status: job.Status };
}

function groupByJob(allocs: readonly AllocationListStub[]): Map<string, AllocationListStub[]> {
  const byJob = new Map<string, AllocationListStub[]>();
  for (const alloc of allocs) {
    const list = byJob.get(alloc.JobID);
    if (list) list.push(alloc);
    else byJob.set(alloc.JobID, [alloc]);
  }
  return byJob;
}

/** A job's allocations created at or after `from` and before `until`, oldest first. */
function allocsSince(
  allocs: readonly AllocationListStub[],
  from: number,
  until: number | undefined,
): AllocationListStub[] {
  return allocs
    .filter(alloc => alloc.CreateIndex >= from && (until === undefined || alloc.CreateIndex < until))
    .sort((a, b) => a.CreateIndex - b.CreateIndex);
}
