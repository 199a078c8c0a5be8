import type { Readable } from 'node:stream';

import { isNotFound } from '@vkubelet/provider-kit';

import type { ExecSocket, NomadClient, QueryResult } from './client.js';
import { callNomad } from './errors.js';
import type {
  AgentHealth,
  Allocation,
  AllocationListStub,
  AllocResourceUsage,
  Job,
  JobListStub,
  JobRegisterResponse,
  JobSpec,
  NodeListStub,
} from './types.js';

/** What a blocking read waits for: the index it has seen, and how long Nomad may hold the answer. */
export interface Blocking {
  index: number;
  waitMs: number;
}

export type LogType = 'stdout' | 'stderr';

export interface LogRequest {
  task: string;
  type: LogType;
  /** Byte offset from the start of the log. */
  offset: number;
  follow: boolean;
}

const enc = encodeURIComponent;

/**
 * The Nomad endpoints this provider uses, typed, each through `callNomad` (errors mapped to
 * provider-kit's, one place for traces). Namespace, region and token come from the client.
 */
export class NomadApi {
  constructor(readonly client: NomadClient) {}

  /** Registers a new job; `onlyIfNew` makes Nomad refuse it when the ID exists (check-and-set). */
  registerJob(job: JobSpec, onlyIfNew: boolean, signal: AbortSignal): Promise<JobRegisterResponse> {
    const body = onlyIfNew ? { Job: job, EnforceIndex: true, JobModifyIndex: 0 } : { Job: job };
    return callNomad('register job', () =>
      this.client.write<JobRegisterResponse>('PUT', '/v1/jobs', body, { signal }),
    );
  }

  /** The job, or undefined when Nomad has none of that ID. */
  async readJob(id: string, signal: AbortSignal): Promise<Job | undefined> {
    try {
      const { body } = await callNomad('read job', () =>
        this.client.get<Job>(`/v1/job/${enc(id)}`, { signal }),
      );
      return body;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Stops the job; with `purge` Nomad forgets it at once (its allocations are stopped either way). */
  deregisterJob(id: string, purge: boolean, signal: AbortSignal): Promise<unknown> {
    return callNomad('deregister job', () =>
      this.client.delete(`/v1/job/${enc(id)}`, { signal, query: { purge } }),
    );
  }

  /** Jobs whose ID starts with `prefix`, with their Meta; blocking with `blocking`. */
  listJobs(prefix: string, signal: AbortSignal, blocking?: Blocking): Promise<QueryResult<JobListStub[]>> {
    return callNomad('list jobs', () =>
      this.client.get<JobListStub[]>('/v1/jobs', {
        signal,
        query: { prefix, meta: true },
        ...(blocking ? { index: blocking.index, waitMs: blocking.waitMs } : {}),
      }),
    );
  }

  /**
   * Allocations (with task states and allocated resources) matching a filter expression; blocking
   * with `blocking`.
   */
  listAllocations(
    filter: string,
    signal: AbortSignal,
    blocking?: Blocking,
  ): Promise<QueryResult<AllocationListStub[]>> {
    return callNomad('list allocations', () =>
      this.client.get<AllocationListStub[]>('/v1/allocations', {
        signal,
        query: { filter, resources: true, task_states: true },
        ...(blocking ? { index: blocking.index, waitMs: blocking.waitMs } : {}),
      }),
    );
  }

  async readAllocation(id: string, signal: AbortSignal): Promise<Allocation> {
    const { body } = await callNomad('read allocation', () =>
      this.client.get<Allocation>(`/v1/allocation/${enc(id)}`, { signal }),
    );
    return body;
  }

  /** Client nodes with their resources; blocking with `blocking`. */
  listNodes(signal: AbortSignal, blocking?: Blocking): Promise<QueryResult<NodeListStub[]>> {
    return callNomad('list nodes', () =>
      this.client.get<NodeListStub[]>('/v1/nodes', {
        signal,
        query: { resources: true },
        ...(blocking ? { index: blocking.index, waitMs: blocking.waitMs } : {}),
      }),
    );
  }

  async allocationStats(allocId: string, signal: AbortSignal): Promise<AllocResourceUsage> {
    const { body } = await callNomad('read allocation stats', () =>
      this.client.get<AllocResourceUsage>(`/v1/client/allocation/${enc(allocId)}/stats`, { signal }),
    );
    return body;
  }

  /** `GET /v1/agent/health` (needs no token); Nomad answers 500 when the agent is unhealthy. */
  async agentHealth(signal: AbortSignal): Promise<AgentHealth> {
    const { body } = await callNomad('agent health', () =>
      this.client.get<AgentHealth>('/v1/agent/health', { signal }),
    );
    return body;
  }

  /** A task's stdout or stderr from `offset`, as Nomad's framed stream (JSON frames back to back). */
  logs(allocId: string, request: LogRequest, signal: AbortSignal): Promise<Readable> {
    return callNomad('read logs', () =>
      this.client.stream(`/v1/client/fs/logs/${enc(allocId)}`, {
        signal,
        query: {
          task: request.task,
          type: request.type,
          origin: 'start',
          offset: request.offset,
          follow: request.follow,
        },
      }),
    );
  }

  /** Opens an exec session in a task: Nomad's WebSocket (api.ExecStreamingInput/Output frames). */
  exec(
    allocId: string,
    task: string,
    command: string[],
    tty: boolean,
    signal: AbortSignal,
  ): Promise<ExecSocket> {
    return callNomad('exec', () =>
      this.client.dial(`/v1/client/allocation/${enc(allocId)}/exec`, {
        signal,
        query: { task, tty, command: JSON.stringify(command) },
      }),
    );
  }
}
