/*
 * The Nomad HTTP API's JSON, as far as this provider reads and writes it: PascalCase keys as in the
 * official `github.com/hashicorp/nomad/api` module; int64 times (SubmitTime, CreateTime, task event
 * Time) and durations (RestartPolicy.Delay, KillTimeout) in nanoseconds; `time.Time` fields
 * (TaskState.StartedAt) as RFC 3339 strings, Go's zero time `0001-01-01T00:00:00Z` when unset.
 */

/** Nanoseconds in a millisecond: Nomad's durations and int64 times are nanoseconds. */
export const NANOS_PER_MS = 1_000_000;

/** Go's zero time.Time, as Nomad writes an unset StartedAt or FinishedAt. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface Port {
  Label: string;
  Value?: number;
  To?: number;
}

export interface NetworkResource {
  Mode?: string;
  Hostname?: string;
  IP?: string;
  ReservedPorts?: Port[] | null;
  DynamicPorts?: Port[] | null;
  DNS?: { Servers?: string[]; Searches?: string[]; Options?: string[] } | null;
}

export interface Resources {
  CPU?: number;
  Cores?: number;
  MemoryMB?: number;
  MemoryMaxMB?: number;
  Devices?: Array<{ Name: string; Count: number }>;
}

export interface RestartPolicy {
  Attempts: number;
  Interval: number;
  Delay: number;
  Mode: 'fail' | 'delay';
}

export interface ReschedulePolicy {
  Attempts: number;
  Interval: number;
  Unlimited: boolean;
}

/** A consul-template block: Nomad renders it into the task directory before the task starts. */
export interface Template {
  EmbeddedTmpl: string;
  DestPath: string;
  ChangeMode: 'noop' | 'restart' | 'signal' | 'script';
  Perms: string;
}

export interface Task {
  Name: string;
  Driver: string;
  User?: string;
  Lifecycle?: { Hook: 'prestart' | 'poststart' | 'poststop'; Sidecar: boolean };
  Config: Record<string, unknown>;
  Env?: Record<string, string>;
  Resources?: Resources;
  Templates?: Template[];
  KillTimeout?: number;
  Leader?: boolean;
}

export interface TaskGroup {
  Name: string;
  Count: number;
  Tasks: Task[];
  RestartPolicy: RestartPolicy;
  ReschedulePolicy?: ReschedulePolicy;
  Networks?: NetworkResource[];
  EphemeralDisk?: { SizeMB: number };
}

export type JobType = 'service' | 'batch';

/** A job as this provider registers it (api.Job; Nomad fills in the rest). */
export interface JobSpec {
  ID: string;
  Name: string;
  Namespace: string;
  Region?: string;
  Type: JobType;
  Priority: number;
  Datacenters: string[];
  NodePool?: string;
  TaskGroups: TaskGroup[];
  Meta: Record<string, string>;
}

/** `GET /v1/job/<id>` (api.Job): the spec as stored, with what the servers keep about it. */
export interface Job extends JobSpec {
  Stop: boolean;
  Status: string;
  Version: number;
  SubmitTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
}

/** An entry of `GET /v1/jobs` (api.JobListStub); Meta only with `?meta=true`. */
export interface JobListStub {
  ID: string;
  Namespace: string;
  Type: string;
  Status: string;
  Stop: boolean;
  SubmitTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  Meta?: Record<string, string> | null;
}

/** `PUT /v1/jobs` answer (api.JobRegisterResponse). */
export interface JobRegisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings?: string;
}

export interface TaskEvent {
  Type: string;
  Time: number;
  DisplayMessage?: string;
  Details?: Record<string, string> | null;
  ExitCode?: number;
  Signal?: number;
  FailsTask?: boolean;
  DriverError?: string;
  RestartReason?: string;
}

export interface TaskState {
  State: 'pending' | 'running' | 'dead';
  Failed: boolean;
  Restarts: number;
  StartedAt: string | null;
  FinishedAt: string | null;
  Events: TaskEvent[] | null;
}

export type ClientStatus = 'pending' | 'running' | 'complete' | 'failed' | 'lost' | 'unknown';

/** An entry of `GET /v1/allocations` (api.AllocationListStub), with `?resources=true&task_states=true`. */
export interface AllocationListStub {
  ID: string;
  Name: string;
  Namespace: string;
  NodeID: string;
  NodeName?: string;
  JobID: string;
  JobVersion?: number;
  TaskGroup: string;
  DesiredStatus: 'run' | 'stop' | 'evict';
  DesiredDescription?: string;
  ClientStatus: ClientStatus;
  ClientDescription?: string;
  TaskStates: Record<string, TaskState> | null;
  AllocatedResources?: {
    Shared?: { Networks?: NetworkResource[] | null } | null;
  } | null;
  NextAllocation?: string;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
}

/** `GET /v1/allocation/<id>` (api.Allocation): the fields the stub lacks that this provider reads. */
export interface Allocation extends AllocationListStub {
  /** The allocation's own address in `bridge` networking. */
  NetworkStatus?: { InterfaceName?: string; Address?: string } | null;
}

/** An entry of `GET /v1/nodes?resources=true` (api.NodeListStub). */
export interface NodeListStub {
  ID: string;
  Name: string;
  /** The node's `unique.network.ip-address`. */
  Address: string;
  Datacenter: string;
  NodePool?: string;
  Status: string;
  SchedulingEligibility: string;
  Drain: boolean;
  Drivers?: Record<string, { Detected: boolean; Healthy: boolean }> | null;
  NodeResources?: {
    Cpu?: { CpuShares?: number; TotalCpuCores?: number };
    Memory?: { MemoryMB?: number };
    Disk?: { DiskMB?: number };
  } | null;
  ReservedResources?: {
    Cpu?: { CpuShares?: number };
    Memory?: { MemoryMB?: number };
    Disk?: { DiskMB?: number };
  } | null;
}

/** One task's usage in `GET /v1/client/allocation/<id>/stats` (api.ResourceUsage). */
export interface ResourceUsage {
  MemoryStats?: { RSS?: number; Cache?: number; Usage?: number; MaxUsage?: number } | null;
  CpuStats?: { Percent?: number; TotalTicks?: number; UserMode?: number; SystemMode?: number } | null;
}

/** `GET /v1/client/allocation/<id>/stats` (api.AllocResourceUsage). */
export interface AllocResourceUsage {
  ResourceUsage?: ResourceUsage | null;
  Tasks?: Record<string, { ResourceUsage?: ResourceUsage | null; Timestamp?: number }> | null;
  Timestamp?: number;
}

/** `GET /v1/agent/health`. */
export interface AgentHealth {
  client?: { ok: boolean; message: string };
  server?: { ok: boolean; message: string };
}
