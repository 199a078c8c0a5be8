/*
 * The Nomad HTTP API's JSON shapes as the emulator sends and reads them: PascalCase keys, times in
 * nanoseconds since the epoch where Nomad's structs hold an int64 (SubmitTime, CreateTime, event
 * times), durations in nanoseconds (Go's time.Duration), RFC 3339 strings where they hold a
 * time.Time (TaskState.StartedAt). Field names follow the `github.com/hashicorp/nomad/api` module,
 * the official client that judges the emulator; only the fields the emulator reads or fills are typed.
 */

export type JobType = 'service' | 'batch' | 'system' | 'sysbatch';

export interface Port {
  Label: string;
  Value?: number;
  To?: number;
  HostNetwork?: string;
}

export interface NetworkResource {
  Mode?: string;
  Device?: string;
  CIDR?: string;
  IP?: string;
  MBits?: number;
  ReservedPorts?: Port[] | null;
  DynamicPorts?: Port[] | null;
  DNS?: unknown;
  Hostname?: string;
}

export interface Resources {
  CPU?: number | null;
  Cores?: number | null;
  MemoryMB?: number | null;
  MemoryMaxMB?: number | null;
  DiskMB?: number | null;
  Networks?: NetworkResource[] | null;
  Devices?: unknown[] | null;
}

export interface RestartPolicy {
  Attempts?: number | null;
  Interval?: number | null;
  Delay?: number | null;
  Mode?: string | null;
  RenderTemplates?: boolean | null;
}

export interface ReschedulePolicy {
  Attempts?: number | null;
  Interval?: number | null;
  Delay?: number | null;
  DelayFunction?: string | null;
  MaxDelay?: number | null;
  Unlimited?: boolean | null;
}

export interface TaskLifecycle {
  Hook: string;
  Sidecar?: boolean;
}

export interface Constraint {
  LTarget?: string;
  RTarget?: string;
  Operand?: string;
}

export interface Task {
  Name: string;
  Driver: string;
  User?: string;
  Lifecycle?: TaskLifecycle | null;
  Config?: Record<string, unknown> | null;
  Constraints?: Constraint[] | null;
  Env?: Record<string, string> | null;
  Resources?: Resources | null;
  RestartPolicy?: RestartPolicy | null;
  Meta?: Record<string, string> | null;
  KillTimeout?: number | null;
  LogConfig?: Record<string, unknown> | null;
  Leader?: boolean;
  [field: string]: unknown;
}

export interface TaskGroup {
  Name: string;
  Count: number;
  Constraints?: Constraint[] | null;
  Tasks: Task[];
  RestartPolicy: RestartPolicy;
  ReschedulePolicy?: ReschedulePolicy | null;
  EphemeralDisk?: { Sticky?: boolean; Migrate?: boolean; SizeMB?: number } | null;
  Networks?: NetworkResource[] | null;
  Meta?: Record<string, string> | null;
  [field: string]: unknown;
}

export interface Job {
  Region: string;
  Namespace: string;
  ID: string;
  Name: string;
  Type: JobType;
  Priority: number;
  AllAtOnce?: boolean;
  Datacenters: string[];
  NodePool: string;
  Constraints?: Constraint[] | null;
  TaskGroups: TaskGroup[];
  Meta?: Record<string, string> | null;
  Stop: boolean;
  ParentID: string;
  Dispatched?: boolean;
  Periodic?: unknown;
  ParameterizedJob?: unknown;
  Status: string;
  StatusDescription: string;
  Stable: boolean;
  Version: number;
  SubmitTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  [field: string]: unknown;
}

export interface TaskEvent {
  Type: string;
  Time: number;
  DisplayMessage: string;
  Details: Record<string, string>;
  Message: string;
  FailsTask: boolean;
  RestartReason: string;
  SetupError: string;
  DriverError: string;
  DriverMessage: string;
  ExitCode: number;
  Signal: number;
  KillReason: string;
  KillTimeout: number;
  KillError: string;
  StartDelay: number;
  DownloadError: string;
  ValidationError: string;
  DiskLimit: number;
  DiskSize: number;
  FailedSibling: string;
  VaultError: string;
  TaskSignalReason: string;
  TaskSignal: string;
  GenericSource: string;
}

export interface TaskState {
  State: 'pending' | 'running' | 'dead';
  Failed: boolean;
  Restarts: number;
  /** RFC 3339; Go's zero time (ZERO_TIME) until set, as Nomad sends it. */
  LastRestart: string;
  StartedAt: string;
  FinishedAt: string;
  Events: TaskEvent[];
  TaskHandle?: unknown;
}

export type ClientStatus = 'pending' | 'running' | 'complete' | 'failed' | 'lost' | 'unknown';
export type DesiredStatus = 'run' | 'stop' | 'evict';

export interface PortMapping {
  Label: string;
  Value: number;
  To: number;
  HostIP: string;
}

export interface AllocatedResources {
  Tasks: Record<
    string,
    {
      Cpu: { CpuShares: number; ReservedCores: number[] | null };
      Memory: { MemoryMB: number; MemoryMaxMB: number };
      Networks: NetworkResource[] | null;
      Devices: null;
    }
  >;
  Shared: { DiskMB: number; Networks: NetworkResource[] | null; Ports: PortMapping[] | null };
}

export interface AllocationMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesInPool: number;
  NodePool: string;
  NodesAvailable: Record<string, number>;
  ClassFiltered: Record<string, number> | null;
  ConstraintFiltered: Record<string, number> | null;
  NodesExhausted: number;
  ClassExhausted: Record<string, number> | null;
  DimensionExhausted: Record<string, number> | null;
  QuotaExhausted: string[] | null;
  ResourcesExhausted: null;
  Scores: null;
  ScoreMetaData: null;
  AllocationTime: number;
  CoalescedFailures: number;
}

export interface RescheduleEvent {
  RescheduleTime: number;
  PrevAllocID: string;
  PrevNodeID: string;
  Delay: number;
}

export interface Allocation {
  ID: string;
  Namespace: string;
  EvalID: string;
  Name: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  Job: Job;
  TaskGroup: string;
  AllocatedResources: AllocatedResources;
  Metrics: AllocationMetric;
  DesiredStatus: DesiredStatus;
  DesiredDescription: string;
  DesiredTransition: Record<string, boolean>;
  ClientStatus: ClientStatus;
  ClientDescription: string;
  TaskStates: Record<string, TaskState> | null;
  DeploymentID: string;
  FollowupEvalID: string;
  PreviousAllocation: string;
  NextAllocation: string;
  RescheduleTracker: { Events: RescheduleEvent[] } | null;
  NetworkStatus: { InterfaceName: string; Address: string; AddressIPv6: string; DNS: null } | null;
  PreemptedAllocations: null;
  PreemptedByAllocation: string;
  CreateIndex: number;
  ModifyIndex: number;
  AllocModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
}

export type EvalStatus = 'blocked' | 'pending' | 'complete' | 'failed' | 'canceled';

export interface Evaluation {
  ID: string;
  Namespace: string;
  Priority: number;
  Type: string;
  TriggeredBy: string;
  JobID: string;
  JobModifyIndex: number;
  NodeID: string;
  NodeModifyIndex: number;
  DeploymentID: string;
  Status: EvalStatus;
  StatusDescription: string;
  Wait: number;
  WaitUntil: string;
  NextEval: string;
  PreviousEval: string;
  BlockedEval: string;
  FailedTGAllocs: Record<string, AllocationMetric> | null;
  ClassEligibility: Record<string, boolean> | null;
  EscapedComputedClass: boolean;
  QuotaLimitReached: string;
  AnnotatePlan: boolean;
  QueuedAllocations: Record<string, number> | null;
  SnapshotIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
}

export interface NodeResources {
  Cpu: { CpuShares: number; TotalCpuCores: number; ReservableCpuCores: number[] };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  Networks: NetworkResource[];
  Devices: null;
  MinDynamicPort: number;
  MaxDynamicPort: number;
}

export interface NomadNode {
  ID: string;
  SecretID: string;
  Datacenter: string;
  Name: string;
  HTTPAddr: string;
  TLSEnabled: boolean;
  Attributes: Record<string, string>;
  NodeResources: NodeResources;
  ReservedResources: {
    Cpu: { CpuShares: number };
    Memory: { MemoryMB: number };
    Disk: { DiskMB: number };
    Networks: { ReservedHostPorts: string };
  };
  Links: Record<string, string>;
  Meta: Record<string, string>;
  NodeClass: string;
  NodePool: string;
  CgroupParent: string;
  Drain: boolean;
  DrainStrategy: null;
  SchedulingEligibility: 'eligible' | 'ineligible';
  Status: 'initializing' | 'ready' | 'down' | 'disconnected';
  StatusDescription: string;
  StatusUpdatedAt: number;
  Events: Array<{
    Message: string;
    Subsystem: string;
    Details: null;
    Timestamp: string;
    CreateIndex: number;
  }>;
  Drivers: Record<
    string,
    {
      Attributes: Record<string, string>;
      Detected: boolean;
      Healthy: boolean;
      HealthDescription: string;
      UpdateTime: string;
    }
  >;
  HostVolumes: null;
  HostNetworks: null;
  CSIControllerPlugins: null;
  CSINodePlugins: null;
  LastDrain: null;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface Namespace {
  Name: string;
  Description: string;
  Quota: string;
  Capabilities: null;
  NodePoolConfiguration: null;
  Meta: Record<string, string> | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Go's zero time.Time as encoding/json writes it. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Nanoseconds since the epoch, as Nomad's int64 times (a double is exact to ~256 ns here, plenty). */
export function nowNanos(): number {
  return Date.now() * 1_000_000;
}

export const NANOS_PER_MS = 1_000_000;
