import type { Allocation, Evaluation, Job, Namespace, NomadNode } from '../api/types.js';
import { Wakeup } from './wakeup.js';

/** The tables whose last-write index blocking queries watch, as Nomad's state store names them. */
export type Table = 'jobs' | 'job_summary' | 'job_version' | 'allocs' | 'evals' | 'nodes' | 'namespaces';

/** `namespace` and `id` joined by a character neither can hold. */
export function jobKey(namespace: string, id: string): string {
  return `${namespace}\u0000${id}`;
}

/**
 * The emulator's replicated state, reduced to one process: objects keyed as Nomad keys them, one
 * raft-like index that every write advances, the last index per table, and a wake-up for blocking
 * queries on every write.
 */
export class Store {
  readonly jobs = new Map<string, Job>();
  /** Every version of a job, newest first (the `/versions` endpoint). */
  readonly jobVersions = new Map<string, Job[]>();
  readonly allocs = new Map<string, Allocation>();
  readonly evals = new Map<string, Evaluation>();
  readonly nodes = new Map<string, NomadNode>();
  readonly namespaces = new Map<string, Namespace>();
  // Secondary indexes, so per-job and per-node reads stay cheap on a node with thousands of pods.
  private readonly allocsByJob = new Map<string, Set<string>>();
  private readonly allocsByNode = new Map<string, Set<string>>();
  private readonly evalsByJob = new Map<string, Set<string>>();
  private latest = 1;
  private readonly tableIndex = new Map<Table, number>();
  private readonly writes = new Wakeup();

  get index(): number {
    return this.latest;
  }

  /** Starts a write touching `tables`: returns its index, the new last index of each table. */
  write(...tables: Table[]): number {
    const index = ++this.latest;
    for (const table of tables) this.tableIndex.set(table, index);
    this.writes.wake();
    return index;
  }

  /** The last index of the tables, at least 1 (Nomad never answers a blocking query with index 0). */
  indexOf(...tables: Table[]): number {
    return Math.max(1, ...tables.map(table => this.tableIndex.get(table) ?? 0));
  }

  /** Resolves at the next write, after `timeoutMs`, or when `signal` aborts, whichever is first. */
  nextWrite(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.writes.wait(signal, timeoutMs);
  }

  job(namespace: string, id: string): Job | undefined {
    return this.jobs.get(jobKey(namespace, id));
  }

  addAlloc(alloc: Allocation): void {
    this.allocs.set(alloc.ID, alloc);
    addTo(this.allocsByJob, jobKey(alloc.Namespace, alloc.JobID), alloc.ID);
    addTo(this.allocsByNode, alloc.NodeID, alloc.ID);
  }

  addEval(evaluation: Evaluation): void {
    this.evals.set(evaluation.ID, evaluation);
    addTo(this.evalsByJob, jobKey(evaluation.Namespace, evaluation.JobID), evaluation.ID);
  }

  allocsOfJob(namespace: string, id: string): Allocation[] {
    return [...(this.allocsByJob.get(jobKey(namespace, id)) ?? [])].map(allocId => this.allocs.get(allocId)!);
  }

  evalsOfJob(namespace: string, id: string): Evaluation[] {
    return [...(this.evalsByJob.get(jobKey(namespace, id)) ?? [])].map(evalId => this.evals.get(evalId)!);
  }

  allocsOnNode(nodeId: string): Allocation[] {
    return [...(this.allocsByNode.get(nodeId) ?? [])].map(allocId => this.allocs.get(allocId)!);
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (!ids) index.set(key, (ids = new Set()));
  ids.add(id);
}
