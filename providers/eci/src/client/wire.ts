/**
 * The parts of ECI's answers (API version 2018-08-08) this provider reads, as the API reference and
 * the `eci-20180808` models name them. Every member is optional unless ECI always sends it: an
 * answer is data from the network, read defensively.
 */

/** A type, not an interface: tags go into requests as they are (ParamTree). */
export type EciTag = {
  Key: string;
  Value: string;
};

/** A container's state in DescribeContainerGroups (`CurrentState`, `PreviousState`). */
export interface EciContainerState {
  /** Waiting, Running or Terminated (older answers: Succeeded, Failed). */
  State?: string;
  DetailStatus?: string;
  Reason?: string;
  Message?: string;
  ExitCode?: number;
  Signal?: number;
  StartTime?: string;
  FinishTime?: string;
}

export interface EciContainer {
  Name: string;
  Image?: string;
  RestartCount?: number;
  /** The readiness probe's verdict. */
  Ready?: boolean;
  CurrentState?: EciContainerState;
  PreviousState?: EciContainerState;
  /** App containers list their command as `Commands`, init containers as `Command`. */
  Commands?: string[];
  Command?: string[];
  Args?: string[];
  WorkingDir?: string;
  EnvironmentVars?: Array<{ Key?: string; Value?: string }>;
}

export interface EciEvent {
  Count?: number;
  Type?: string;
  Name?: string;
  Reason?: string;
  Message?: string;
  FirstTimestamp?: string;
  LastTimestamp?: string;
}

/** One group as DescribeContainerGroups describes it. */
export interface EciContainerGroup {
  ContainerGroupId: string;
  ContainerGroupName?: string;
  /** Scheduling, ScheduleFailed, Pending, Running, Succeeded, Failed, Restarting, Updating, Terminating, Expired. */
  Status?: string;
  RestartPolicy?: string;
  IntranetIp?: string;
  CreationTime?: string;
  SucceededTime?: string;
  FailedTime?: string;
  Tags?: EciTag[];
  Events?: EciEvent[];
  Containers?: EciContainer[];
  InitContainers?: EciContainer[];
}

export interface DescribeContainerGroupsResponse {
  TotalCount?: number;
  NextToken?: string;
  ContainerGroups?: EciContainerGroup[];
}

/** One group as DescribeContainerGroupStatus summarises it (the Kubernetes pod status shape). */
export interface EciGroupStatusEntry {
  ContainerGroupId: string;
  Status?: string;
  PodStatus?: unknown;
}

export interface DescribeContainerGroupStatusResponse {
  TotalCount?: number;
  NextToken?: string;
  Data?: EciGroupStatusEntry[];
}

export interface CreateContainerGroupResponse {
  ContainerGroupId?: string;
}

export interface DescribeContainerLogResponse {
  ContainerName?: string;
  Content?: string;
}

export interface ExecContainerCommandResponse {
  WebSocketUri?: string;
  HttpUrl?: string;
  SyncResponse?: string;
}

export interface EciMetricRecord {
  Timestamp?: string;
  CPU?: { UsageNanoCores?: number; UsageCoreNanoSeconds?: number; Limit?: number };
  Memory?: { AvailableBytes?: number; UsageBytes?: number; WorkingSet?: number; Rss?: number };
  Network?: {
    Interfaces?: Array<{
      Name?: string;
      RxBytes?: number;
      RxErrors?: number;
      TxBytes?: number;
      TxErrors?: number;
    }>;
  };
  Containers?: Array<{
    Name?: string;
    CPU?: EciMetricRecord['CPU'];
    Memory?: EciMetricRecord['Memory'];
  }>;
}

export interface DescribeMultiContainerGroupMetricResponse {
  MonitorDatas?: Array<{ ContainerGroupId?: string; Records?: EciMetricRecord[] }>;
}

export interface DescribeRegionsResponse {
  Regions?: Array<{ RegionId?: string; RegionEndpoint?: string }>;
}
