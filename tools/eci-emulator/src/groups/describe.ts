import type { ContainerGroup } from './group.js';
import type { ContainerSpec, Probe, VolumeSpec } from './spec.js';
import { eciContainerState, kubeContainerState } from './states.js';
import { eciTime } from './time.js';

type Wire = Record<string, unknown>;

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
    ...(spec.resourceGroupId ? { ResourceGroupId: spec.resourceGroupId } : {}),
    ...(spec.instanceType ? { InstanceType: spec.instanceType } : {}),
    Cpu: spec.cpu,
    Memory: spec.memory,
    Status: group.status(),
    RestartPolicy: spec.restartPolicy,
    IntranetIp: group.ip ?? '',
    InternetIp: '',
    CreationTime: eciTime(group.creationTime),
    ...(group.succeededTime ? { SucceededTime: eciTime(group.succeededTime) } : {}),
    ...(group.failedTime ? { FailedTime: eciTime(group.failedTime) } : {}),
    EphemeralStorage: 30,
    ...(spec.dnsPolicy ? { DnsPolicy: spec.dnsPolicy } : {}),
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
    ...(container.workingDir ? { WorkingDir: container.workingDir } : {}),
    ...(container.imagePullPolicy ? { ImagePullPolicy: container.imagePullPolicy } : {}),
    EnvironmentVars: container.env.map(variable => ({
      Key: variable.key,
      Value: variable.value ?? '',
      ...(variable.fieldPath ? { ValueFrom: { FieldRef: { FieldPath: variable.fieldPath } } } : {}),
    })),
    Ports: container.ports.map(port => ({ Port: port.port, Protocol: port.protocol })),
    VolumeMounts: container.volumeMounts.map(mount => ({
      Name: mount.name,
      MountPath: mount.mountPath,
      ReadOnly: mount.readOnly,
      ...(mount.subPath ? { SubPath: mount.subPath } : {}),
      ...(mount.mountPropagation ? { MountPropagation: mount.mountPropagation } : {}),
    })),
    Stdin: container.stdin,
    StdinOnce: container.stdinOnce,
    Tty: container.tty,
    CurrentState: eciContainerState(run?.state),
    ...(previous ? { PreviousState: eciContainerState(previous) } : {}),
    ...(container.livenessProbe ? { LivenessProbe: describeProbe(container.livenessProbe) } : {}),
    ...(container.readinessProbe ? { ReadinessProbe: describeProbe(container.readinessProbe) } : {}),
    ...(container.securityContext
      ? {
          SecurityContext: {
            ...(container.securityContext.readOnlyRootFilesystem !== undefined
              ? { ReadOnlyRootFilesystem: container.securityContext.readOnlyRootFilesystem }
              : {}),
            ...(container.securityContext.runAsUser !== undefined
              ? { RunAsUser: container.securityContext.runAsUser }
              : {}),
            Capability: { Adds: container.securityContext.capabilities },
          },
        }
      : {}),
  };
}

function describeProbe(probe: Probe): Wire {
  return {
    ...(probe.exec ? { Execs: probe.exec } : {}),
    ...(probe.httpGet
      ? { HttpGet: { Path: probe.httpGet.path, Port: probe.httpGet.port, Scheme: probe.httpGet.scheme } }
      : {}),
    ...(probe.tcpSocket ? { TcpSocket: { Port: probe.tcpSocket.port } } : {}),
    InitialDelaySeconds: probe.initialDelaySeconds,
    PeriodSeconds: probe.periodSeconds ?? 10,
    TimeoutSeconds: probe.timeoutSeconds ?? 1,
    SuccessThreshold: probe.successThreshold ?? 1,
    FailureThreshold: probe.failureThreshold ?? 3,
  };
}

function describeVolume(volume: VolumeSpec): Wire {
  return {
    Name: volume.name,
    Type: volume.type,
    ...(volume.configFiles
      ? {
          ConfigFileVolumeConfigFileToPaths: volume.configFiles.map(file => ({
            Path: file.path,
            Content: file.content,
          })),
        }
      : {}),
    ...(volume.emptyDir?.medium ? { EmptyDirVolumeMedium: volume.emptyDir.medium } : {}),
    ...(volume.emptyDir?.sizeLimit ? { EmptyDirVolumeSizeLimit: volume.emptyDir.sizeLimit } : {}),
    ...(volume.nfs
      ? {
          NFSVolumeServer: volume.nfs.server,
          NFSVolumePath: volume.nfs.path,
          NFSVolumeReadOnly: volume.nfs.readOnly,
        }
      : {}),
    ...(volume.flex
      ? {
          FlexVolumeDriver: volume.flex.driver,
          FlexVolumeFsType: volume.flex.fsType,
          FlexVolumeOptions: volume.flex.options,
        }
      : {}),
    ...(volume.disk ? { DiskVolumeDiskId: volume.disk.diskId, DiskVolumeFsType: volume.disk.fsType } : {}),
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
      ...(previous ? { LastState: kubeContainerState(previous) } : {}),
    };
  });
  return {
    ContainerGroupId: group.id,
    Name: group.spec.name,
    Namespace: '',
    uuid: group.uuid,
    Annotations: '{}',
    Status: group.status(),
    PodStatus: {
      Phase: status?.phase ?? 'Pending',
      ...(status?.startTime ? { StartTime: eciTime(status.startTime) } : {}),
      HostIp: status?.hostIP ?? '',
      PodIp: group.ip ?? '',
      PodIps: group.ip ? [{ Ip: group.ip }] : [],
      QosClass: 'Guaranteed',
      Conditions: (status?.conditions ?? []).map(condition => ({
        type: condition.type,
        status: condition.status,
        ...(condition.lastTransitionTime
          ? { lastTransitionTime: eciTime(condition.lastTransitionTime) }
          : {}),
        ...(condition.reason ? { Reason: condition.reason } : {}),
        ...(condition.message ? { Message: condition.message } : {}),
      })),
      ContainerStatuses: containers,
    },
  };
}

/** A group as DescribeContainerGroupEvents returns it: Kubernetes-shaped events. */
export function groupEventsEntry(group: ContainerGroup): Wire {
  return {
    ContainerGroupId: group.id,
    Name: group.spec.name,
    Namespace: '',
    uuid: group.uuid,
    Annotations: '{}',
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
