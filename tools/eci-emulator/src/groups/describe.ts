import type { ContainerGroup } from './group.js';
import type { ContainerSpec, Probe, VolumeSpec } from './spec.js';
import { eciContainerState, kubeContainerState } from './states.js';
import { eciTime } from './time.js';

/** Answers are serialized with JSON.stringify, which leaves out members whose value is undefined. */
type Wire = Record<string, unknown>;

/** An optional time in ECI's format. */
function time(value: Date | string | undefined): string | undefined {
  return value ? eciTime(value) : undefined;
}

/** A group as DescribeContainerGroups returns it. */
export function describeGroup(group: ContainerGroup, regionId: string, withEvents: boolean): Wire {
  const { spec } = group;
  return {
    ContainerGroupId: group.id,
    ContainerGroupName: spec.name,
    RegionId: regionId,
    ZoneId: spec.zoneId,
    VSwitchId: spec.vSwitchId,
    SecurityGroupId: spec.securityGroupId,
    ResourceGroupId: spec.resourceGroupId,
    InstanceType: spec.instanceType,
    Cpu: spec.cpu,
    Memory: spec.memory,
    Status: group.status(),
    RestartPolicy: spec.restartPolicy,
    IntranetIp: group.ip ?? '',
    InternetIp: '',
    CreationTime: eciTime(group.creationTime),
    SucceededTime: time(group.succeededTime),
    FailedTime: time(group.failedTime),
    EphemeralStorage: 30,
    DnsPolicy: spec.dnsPolicy,
    Tags: spec.tags.map(tag => ({ Key: tag.key, Value: tag.value })),
    Events: withEvents ? group.events.describe() : [],
    Containers: spec.containers.map(container => describeContainer(group, container, 'Commands')),
    InitContainers: spec.initContainers.map(container => describeContainer(group, container, 'Command')),
    Volumes: spec.volumes.map(describeVolume),
  };
}

/** App containers list their command as `Commands`, init containers as `Command` (sic, as ECI does). */
function describeContainer(group: ContainerGroup, container: ContainerSpec, commandKey: string): Wire {
  const run = group.containerRun(container.name);
  const previous = group.previousState(container.name);
  return {
    Name: container.name,
    Image: container.image,
    Cpu: container.cpu ?? 0,
    Memory: container.memory ?? 0,
    Gpu: container.gpu ?? 0,
    RestartCount: group.restartCount(container.name),
    Ready: run?.ready ?? false,
    [commandKey]: container.command,
    Args: container.args,
    WorkingDir: container.workingDir,
    ImagePullPolicy: container.imagePullPolicy,
    EnvironmentVars: container.env.map(variable => ({
      Key: variable.key,
      Value: variable.value ?? '',
      ValueFrom: variable.fieldPath ? { FieldRef: { FieldPath: variable.fieldPath } } : undefined,
    })),
    Ports: container.ports.map(port => ({ Port: port.port, Protocol: port.protocol })),
    VolumeMounts: container.volumeMounts.map(mount => ({
      Name: mount.name,
      MountPath: mount.mountPath,
      ReadOnly: mount.readOnly,
      SubPath: mount.subPath,
      MountPropagation: mount.mountPropagation,
    })),
    Stdin: container.stdin,
    StdinOnce: container.stdinOnce,
    Tty: container.tty,
    CurrentState: eciContainerState(run?.state),
    PreviousState: previous && eciContainerState(previous),
    LivenessProbe: container.livenessProbe && describeProbe(container.livenessProbe),
    ReadinessProbe: container.readinessProbe && describeProbe(container.readinessProbe),
    SecurityContext: container.securityContext && {
      ReadOnlyRootFilesystem: container.securityContext.readOnlyRootFilesystem,
      RunAsUser: container.securityContext.runAsUser,
      Capability: { Adds: container.securityContext.capabilities },
    },
  };
}

function describeProbe(probe: Probe): Wire {
  return {
    Execs: probe.exec,
    HttpGet: probe.httpGet && {
      Path: probe.httpGet.path,
      Port: probe.httpGet.port,
      Scheme: probe.httpGet.scheme,
    },
    TcpSocket: probe.tcpSocket && { Port: probe.tcpSocket.port },
    InitialDelaySeconds: probe.initialDelaySeconds,
    PeriodSeconds: probe.periodSeconds ?? 10,
    TimeoutSeconds: probe.timeoutSeconds ?? 1,
    SuccessThreshold: probe.successThreshold ?? 1,
    FailureThreshold: probe.failureThreshold ?? 3,
  };
}

/** Volumes as ECI describes them: one flat object, its members prefixed by the volume type. */
function describeVolume(volume: VolumeSpec): Wire {
  return {
    Name: volume.name,
    Type: volume.type,
    ConfigFileVolumeConfigFileToPaths: volume.configFiles?.map(file => ({
      Path: file.path,
      Content: file.content,
    })),
    EmptyDirVolumeMedium: volume.emptyDir?.medium,
    EmptyDirVolumeSizeLimit: volume.emptyDir?.sizeLimit,
    NFSVolumeServer: volume.nfs?.server,
    NFSVolumePath: volume.nfs?.path,
    NFSVolumeReadOnly: volume.nfs?.readOnly,
    FlexVolumeDriver: volume.flex?.driver,
    FlexVolumeFsType: volume.flex?.fsType,
    FlexVolumeOptions: volume.flex?.options,
    DiskVolumeDiskId: volume.disk?.diskId,
    DiskVolumeFsType: volume.disk?.fsType,
  };
}

/** How the batch APIs name a group, Kubernetes-style (`uuid` in lower case, as ECI spells it). */
function identity(group: ContainerGroup): Wire {
  return {
    ContainerGroupId: group.id,
    Name: group.spec.name,
    Namespace: '',
    uuid: group.uuid,
    Annotations: '{}',
  };
}

/** A group as DescribeContainerGroupStatus returns it: the Kubernetes pod status shape. */
export function groupStatusEntry(group: ContainerGroup): Wire {
  const status = group.podRuntime?.status();
  const containers = group.spec.containers.map(container => {
    const run = group.containerRun(container.name);
    const previous = group.previousState(container.name);
    return {
      Name: container.name,
      Image: container.image,
      ImageID: container.image,
      Ready: run?.ready ?? false,
      Started: run?.state.running !== undefined,
      RestartCount: group.restartCount(container.name),
      State: kubeContainerState(run?.state),
      LastState: previous && kubeContainerState(previous),
    };
  });
  return {
    ...identity(group),
    Status: group.status(),
    PodStatus: {
      Phase: status?.phase ?? 'Pending',
      StartTime: time(status?.startTime),
      HostIp: status?.hostIP ?? '',
      PodIp: group.ip ?? '',
      PodIps: group.ip ? [{ Ip: group.ip }] : [],
      QosClass: 'Guaranteed',
      Conditions: (status?.conditions ?? []).map(condition => ({
        type: condition.type,
        status: condition.status,
        lastTransitionTime: time(condition.lastTransitionTime),
        Reason: condition.reason,
        Message: condition.message,
      })),
      ContainerStatuses: containers,
    },
  };
}

/** A group as DescribeContainerGroupEvents returns it: Kubernetes-shaped events. */
export function groupEventsEntry(group: ContainerGroup): Wire {
  return {
    ...identity(group),
    Events: group.events.list().map(event => ({
      Count: event.count,
      Type: event.type,
      Reason: event.reason,
      Message: event.message,
      FirstTimestamp: eciTime(event.firstTimestamp),
      LastTimestamp: eciTime(event.lastTimestamp),
      Metadata: { Name: event.name, Namespace: '' },
      involvedObject: { Kind: 'Pod', Name: group.spec.name, Namespace: '', Uid: group.id, ApiVersion: 'v1' },
      Source: { Component: 'eci', Host: 'eci' },
      ReportingComponent: 'eci',
      ReportingInstance: 'eci',
    })),
  };
}
