/**
 * TypeScript shapes of the CRI messages in proto/cri.proto, as @grpc/proto-loader decodes them with
 * `keepCase`, `longs: String`, `enums: String` and `defaults: true`: int64 fields arrive as decimal
 * strings (nanosecond timestamps do not fit a double), enums as their names.
 */
export type Int64 = string | number;

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  container_port: number;
  host_port?: number;
  host_ip?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  log_directory: string;
  dns_config?: { servers: string[]; searches: string[]; options: string[] };
  port_mappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: {
    cgroup_parent: string;
    security_context: {
      namespace_options: { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode };
      privileged: boolean;
    };
    sysctls?: Record<string, string>;
  };
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  created_at: Int64;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network: { ip: string; additional_ips: { ip: string }[] } | null;
}

export interface Mount {
  container_path: string;
  host_path: string;
  readonly: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

export interface LinuxContainerResources {
  cpu_period: Int64;
  cpu_quota: Int64;
  cpu_shares: Int64;
  memory_limit_in_bytes: Int64;
  oom_score_adj?: Int64;
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  image: { image: string };
  command: string[];
  args: string[];
  working_dir: string;
  envs: { key: string; value: string }[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
  stdin: boolean;
  stdin_once: boolean;
  tty: boolean;
  linux: {
    resources: LinuxContainerResources;
    security_context: { privileged: boolean; readonly_rootfs: boolean; run_as_user?: { value: Int64 } };
  };
}

export type ContainerState =
  'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number };
  image: { image: string } | null;
  image_ref: string;
  state: ContainerState;
  created_at: Int64;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  created_at: Int64;
  started_at: Int64;
  finished_at: Int64;
  exit_code: number;
  image: { image: string } | null;
  image_ref: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
}

export interface UInt64Value {
  value: Int64;
}

export interface ContainerStats {
  attributes: { id: string; metadata: { name: string; attempt: number }; labels: Record<string, string> };
  cpu: {
    timestamp: Int64;
    usage_core_nano_seconds: UInt64Value | null;
    usage_nano_cores: UInt64Value | null;
  } | null;
  memory: {
    timestamp: Int64;
    working_set_bytes: UInt64Value | null;
    available_bytes: UInt64Value | null;
    usage_bytes: UInt64Value | null;
    rss_bytes: UInt64Value | null;
    page_faults: UInt64Value | null;
    major_page_faults: UInt64Value | null;
  } | null;
  writable_layer: {
    timestamp: Int64;
    used_bytes: UInt64Value | null;
    inodes_used: UInt64Value | null;
  } | null;
}

export interface ContainerEvent {
  container_id: string;
  container_event_type: string;
  created_at: Int64;
  pod_sandbox_status: PodSandboxStatus | null;
}

export interface VersionInfo {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface NetworkInterfaceUsage {
  name: string;
  rx_bytes: UInt64Value | null;
  rx_errors: UInt64Value | null;
  tx_bytes: UInt64Value | null;
  tx_errors: UInt64Value | null;
}

export interface PodSandboxStats {
  attributes: { id: string; labels: Record<string, string> };
  linux: {
    network: {
      timestamp: Int64;
      default_interface: NetworkInterfaceUsage | null;
      interfaces: NetworkInterfaceUsage[];
    } | null;
  } | null;
}
