/** What a container group was created (or updated) with, as the API echoes it back. */
export interface EnvironmentVar {
  key: string;
  value?: string;
  /** `status.podIP` is the only field ECI resolves. */
  fieldPath?: string;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly: boolean;
  subPath?: string;
  mountPropagation?: string;
}

export interface Probe {
  exec?: string[];
  httpGet?: { path?: string; port?: number; scheme?: string };
  tcpSocket?: { port?: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: EnvironmentVar[];
  cpu?: number;
  memory?: number;
  gpu?: number;
  workingDir?: string;
  imagePullPolicy?: string;
  ports: Array<{ port: number; protocol: string }>;
  volumeMounts: VolumeMount[];
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: { readOnlyRootFilesystem?: boolean; runAsUser?: number; capabilities: string[] };
}

export type VolumeType =
  'EmptyDirVolume' | 'NFSVolume' | 'ConfigFileVolume' | 'FlexVolume' | 'DiskVolume' | 'HostPathVolume';

export interface VolumeSpec {
  name: string;
  type: VolumeType;
  nfs?: { server: string; path: string; readOnly: boolean };
  emptyDir?: { medium?: string; sizeLimit?: string };
  configFiles?: Array<{ path: string; content: string; mode?: number }>;
  configFileDefaultMode?: number;
  flex?: { driver?: string; fsType?: string; options?: string };
  disk?: { diskId?: string; fsType?: string; diskSize?: number };
  hostPath?: { path: string; type?: string };
}

export interface Tag {
  key: string;
  value: string;
}

export interface RegistryCredential {
  server: string;
  userName: string;
  password: string;
}

export type RestartPolicy = 'Always' | 'Never' | 'OnFailure';

export interface GroupSpec {
  name: string;
  restartPolicy: RestartPolicy;
  containers: ContainerSpec[];
  initContainers: ContainerSpec[];
  volumes: VolumeSpec[];
  tags: Tag[];
  imageRegistryCredentials: RegistryCredential[];
  /** The specification the group runs with (rounded up to one ECI offers). */
  cpu: number;
  memory: number;
  securityGroupId: string;
  vSwitchId: string;
  zoneId: string;
  activeDeadlineSeconds?: number;
  terminationGracePeriodSeconds?: number;
  dnsPolicy?: string;
  hostName?: string;
  instanceType?: string;
  resourceGroupId?: string;
}
