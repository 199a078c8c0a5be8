import { apiErrors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import type {
  ContainerSpec,
  EnvironmentVar,
  Probe,
  RegistryCredential,
  RestartPolicy,
  Tag,
  VolumeMount,
  VolumeSpec,
  VolumeType,
} from './spec.js';

/**
 * Reads the structured parameters of CreateContainerGroup and UpdateContainerGroup, with the limits
 * ECI documents. A `base` makes a read incremental: absent members keep the base's value.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GROUP_NAME = /^[a-z0-9]([-a-z0-9]{0,126}[a-z0-9])$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const RESTART_POLICIES: readonly RestartPolicy[] = ['Always', 'Never', 'OnFailure'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const PROTOCOLS = ['TCP', 'UDP'] as const;
const PROPAGATIONS = ['None', 'HostToContainer', 'Bidirectional'] as const;
const VOLUME_TYPES: readonly VolumeType[] = [
  'EmptyDirVolume',
  'NFSVolume',
  'ConfigFileVolume',
  'FlexVolume',
  'DiskVolume',
  'HostPathVolume',
];
export const MAX_CONTAINERS = 20;
const MAX_TAGS = 20;
const MAX_ARGS = 10;
const MAX_CONFIG_FILE_BYTES = 32 * 1024;

export function readGroupName(params: Params): string {
  const name = params.requiredString('ContainerGroupName');
  if (!GROUP_NAME.test(name)) {
    throw apiErrors.invalidParameter(
      'ContainerGroupName',
      'The name must be 2 to 128 characters of lowercase letters, digits and hyphens, and not start or end with a hyphen.',
    );
  }
  return name;
}

export function readContainers(
  params: Params,
  key: 'Container' | 'InitContainer',
  base: readonly ContainerSpec[] = [],
): ContainerSpec[] {
  return params.list(key, { max: MAX_CONTAINERS }).map(item => {
    const name = item.string('Name');
    return readContainer(
      item,
      base.find(container => container.name === name),
    );
  });
}

function readContainer(p: Params, base: ContainerSpec | undefined): ContainerSpec {
  const name = base?.name ?? p.requiredString('Name');
  if (!DNS_LABEL.test(name)) {
    throw apiErrors.invalidParameter(`${p.path}.Name`, 'A container name is a DNS label (RFC 1123).');
  }
  const image = p.has('Image') || !base ? p.requiredString('Image') : base.image;
  const args = p.has('Arg') ? p.strings('Arg') : (base?.args ?? []);
  if (args.length > MAX_ARGS) {
    throw apiErrors.invalidParameter(`${p.path}.Arg`, `At most ${MAX_ARGS} arguments are allowed.`);
  }
  const optional = <T>(key: string, read: () => T | undefined, fallback: T | undefined): T | undefined =>
    p.has(key) ? read() : fallback;
  return {
    name,
    image,
    command: p.has('Command') ? p.strings('Command') : (base?.command ?? []),
    args,
    env: p.has('EnvironmentVar') ? readEnvironment(p) : (base?.env ?? []),
    cpu: optional('Cpu', () => p.number('Cpu', { min: 0 }), base?.cpu),
    memory: optional('Memory', () => p.number('Memory', { min: 0 }), base?.memory),
    gpu: optional('Gpu', () => p.integer('Gpu', { min: 0 }), base?.gpu),
    workingDir: optional('WorkingDir', () => p.string('WorkingDir'), base?.workingDir),
    imagePullPolicy: optional(
      'ImagePullPolicy',
      () => p.enumeration('ImagePullPolicy', PULL_POLICIES),
      base?.imagePullPolicy,
    ),
    ports: p.has('Port') ? readPorts(p) : (base?.ports ?? []),
    volumeMounts: p.has('VolumeMount') ? readVolumeMounts(p) : (base?.volumeMounts ?? []),
    stdin: p.boolean('Stdin') ?? base?.stdin ?? false,
    stdinOnce: p.boolean('StdinOnce') ?? base?.stdinOnce ?? false,
    tty: p.boolean('Tty') ?? base?.tty ?? false,
    livenessProbe: optional('LivenessProbe', () => readProbe(p.object('LivenessProbe')), base?.livenessProbe),
    readinessProbe: optional(
      'ReadinessProbe',
      () => readProbe(p.object('ReadinessProbe')),
      base?.readinessProbe,
    ),
    securityContext: optional(
      'SecurityContext',
      () => {
        const context = p.object('SecurityContext')!;
        return {
          readOnlyRootFilesystem: context.boolean('ReadOnlyRootFilesystem'),
          runAsUser: context.integer('RunAsUser', { min: 0 }),
          capabilities: context.object('Capability')?.strings('Add') ?? [],
        };
      },
      base?.securityContext,
    ),
  };
}

function readEnvironment(p: Params): EnvironmentVar[] {
  return p.list('EnvironmentVar').map(item => {
    const key = item.requiredString('Key');
    if (!ENV_KEY.test(key)) {
      throw apiErrors.invalidParameter(
        `${item.path}.Key`,
        'A variable name is 1 to 128 letters, digits and underscores, and does not start with a digit.',
      );
    }
    const fieldPath = item.object('FieldRef')?.string('FieldPath');
    if (fieldPath !== undefined && fieldPath !== 'status.podIP') {
      throw apiErrors.invalidParameter(`${item.path}.FieldRef.FieldPath`, 'Only status.podIP is supported.');
    }
    return {
      key,
      ...(item.has('Value') ? { value: item.string('Value') } : {}),
      ...(fieldPath ? { fieldPath } : {}),
    };
  });
}

function readPorts(p: Params): ContainerSpec['ports'] {
  return p.list('Port').map(item => ({
    port:
      item.integer('Port', { min: 1, max: 65535 }) ?? raise(apiErrors.missingParameter(`${item.path}.Port`)),
    protocol: item.enumeration('Protocol', PROTOCOLS) ?? 'TCP',
  }));
}

function readVolumeMounts(p: Params): VolumeMount[] {
  return p.list('VolumeMount').map(item => {
    const mountPath = item.requiredString('MountPath');
    if (!mountPath.startsWith('/')) {
      throw apiErrors.invalidParameter(`${item.path}.MountPath`, 'A mount path is absolute.');
    }
    const subPath = item.string('SubPath');
    const mountPropagation = item.enumeration('MountPropagation', PROPAGATIONS);
    return {
      name: item.requiredString('Name'),
      mountPath,
      readOnly: item.boolean('ReadOnly') ?? false,
      ...(subPath ? { subPath } : {}),
      ...(mountPropagation ? { mountPropagation } : {}),
    };
  });
}

function readProbe(p: Params | undefined): Probe | undefined {
  if (!p) return undefined;
  const exec = p.object('Exec')?.strings('Command');
  const httpGet = p.object('HttpGet');
  const tcpSocket = p.object('TcpSocket');
  const handlers = [exec && exec.length > 0, httpGet, tcpSocket].filter(Boolean).length;
  if (handlers !== 1) {
    throw apiErrors.invalidParameter(p.path, 'Specify exactly one of Exec, HttpGet and TcpSocket.');
  }
  return {
    ...(exec && exec.length > 0 ? { exec } : {}),
    ...(httpGet
      ? {
          httpGet: {
            path: httpGet.string('Path'),
            port: httpGet.integer('Port', { min: 1, max: 65535 }),
            scheme: httpGet.enumeration('Scheme', ['HTTP', 'HTTPS'] as const),
          },
        }
      : {}),
    ...(tcpSocket ? { tcpSocket: { port: tcpSocket.integer('Port', { min: 1, max: 65535 }) } } : {}),
    initialDelaySeconds: p.integer('InitialDelaySeconds', { min: 0 }),
    periodSeconds: p.integer('PeriodSeconds', { min: 1 }),
    timeoutSeconds: p.integer('TimeoutSeconds', { min: 1 }),
    successThreshold: p.integer('SuccessThreshold', { min: 1, max: 1 }),
    failureThreshold: p.integer('FailureThreshold', { min: 1 }),
  };
}

export function readVolumes(p: Params): VolumeSpec[] {
  const names = new Set<string>();
  return p.list('Volume').map(item => {
    const name = item.requiredString('Name');
    if (!DNS_LABEL.test(name))
      throw apiErrors.invalidParameter(`${item.path}.Name`, 'A volume name is a DNS label.');
    if (names.has(name))
      throw apiErrors.invalidParameter(`${item.path}.Name`, `Volume ${name} is declared twice.`);
    names.add(name);
    const type =
      item.enumeration('Type', VOLUME_TYPES) ?? raise(apiErrors.missingParameter(`${item.path}.Type`));
    const volume: VolumeSpec = { name, type };
    switch (type) {
      case 'NFSVolume': {
        const nfs =
          item.object('NFSVolume') ?? raise(apiErrors.missingParameter(`${item.path}.NFSVolume.Server`));
        volume.nfs = {
          server: nfs.requiredString('Server'),
          path: nfs.requiredString('Path'),
          readOnly: nfs.boolean('ReadOnly') ?? false,
        };
        break;
      }
      case 'EmptyDirVolume': {
        const emptyDir = item.object('EmptyDirVolume');
        const medium = emptyDir?.enumeration('Medium', ['', 'Memory', 'LocalRaid0'] as const);
        const sizeLimit = emptyDir?.string('SizeLimit');
        volume.emptyDir = { ...(medium ? { medium } : {}), ...(sizeLimit ? { sizeLimit } : {}) };
        break;
      }
      case 'ConfigFileVolume': {
        const config = item.object('ConfigFileVolume');
        const files = config?.list('ConfigFileToPath') ?? [];
        if (files.length === 0)
          throw apiErrors.missingParameter(`${item.path}.ConfigFileVolume.ConfigFileToPath.1.Path`);
        volume.configFiles = files.map(readConfigFile);
        const defaultMode = config?.integer('DefaultMode', { min: 0, max: 0o777 });
        if (defaultMode !== undefined) volume.configFileDefaultMode = defaultMode;
        break;
      }
      case 'HostPathVolume': {
        const hostPath = item.object('HostPathVolume');
        volume.hostPath = {
          path:
            hostPath?.requiredString('Path') ??
            raise(apiErrors.missingParameter(`${item.path}.HostPathVolume.Path`)),
          type: hostPath?.string('Type'),
        };
        break;
      }
      case 'FlexVolume': {
        const flex = item.object('FlexVolume');
        volume.flex = {
          driver: flex?.string('Driver'),
          fsType: flex?.string('FsType'),
          options: flex?.string('Options'),
        };
        break;
      }
      case 'DiskVolume': {
        const disk = item.object('DiskVolume');
        volume.disk = {
          diskId: disk?.string('DiskId'),
          fsType: disk?.string('FsType'),
          diskSize: disk?.integer('DiskSize', { min: 1 }),
        };
        break;
      }
    }
    return volume;
  });
}

function readConfigFile(file: Params): { path: string; content: string; mode?: number } {
  const path = file.requiredString('Path');
  if (path.startsWith('/') || path.split('/').includes('..')) {
    throw apiErrors.invalidParameter(`${file.path}.Path`, 'A config file path is relative and has no "..".');
  }
  const content = file.string('Content') ?? '';
  if (!BASE64.test(content) || content.length % 4 !== 0) {
    throw apiErrors.invalidParameter(`${file.path}.Content`, 'The content is base64-encoded.');
  }
  if (Buffer.from(content, 'base64').length > MAX_CONFIG_FILE_BYTES) {
    throw apiErrors.invalidParameter(`${file.path}.Content`, 'A config file holds at most 32 KB.');
  }
  const mode = file.integer('Mode', { min: 0, max: 0o777 });
  return { path, content, ...(mode !== undefined ? { mode } : {}) };
}

export function readTags(p: Params): Tag[] {
  const keys = new Set<string>();
  return p.list('Tag', { max: MAX_TAGS }).map(item => {
    const key = item.requiredString('Key');
    const value = item.string('Value') ?? '';
    if (key.length > 64 || /^(acs:|aliyun)/.test(key) || /https?:\/\//.test(key)) {
      throw apiErrors.invalidParameter(
        `${item.path}.Key`,
        'A tag key has at most 64 characters, does not start with acs: or aliyun and holds no http(s)://.',
      );
    }
    if (value.length > 128 || value.startsWith('acs:') || /https?:\/\//.test(value)) {
      throw apiErrors.invalidParameter(
        `${item.path}.Value`,
        'A tag value has at most 128 characters, does not start with acs: and holds no http(s)://.',
      );
    }
    if (keys.has(key)) throw apiErrors.invalidParameter(`${item.path}.Key`, `Tag key ${key} is given twice.`);
    keys.add(key);
    return { key, value };
  });
}

export function readRegistryCredentials(p: Params): RegistryCredential[] {
  return p.list('ImageRegistryCredential').map(item => ({
    server: item.requiredString('Server'),
    userName: item.requiredString('UserName'),
    password: item.requiredString('Password'),
  }));
}

/** Cross-field checks: unique container names, mounts naming declared volumes. */
export function checkContainers(
  containers: readonly ContainerSpec[],
  initContainers: readonly ContainerSpec[],
  volumes: readonly VolumeSpec[],
): void {
  if (containers.length === 0) throw apiErrors.missingParameter('Container.1.Name');
  const names = new Set<string>();
  const declared = new Set(volumes.map(volume => volume.name));
  for (const [key, list] of [
    ['InitContainer', initContainers],
    ['Container', containers],
  ] as const) {
    list.forEach((container, index) => {
      if (names.has(container.name)) {
        throw apiErrors.invalidParameter(
          `${key}.${index + 1}.Name`,
          `Container name ${container.name} is used twice.`,
        );
      }
      names.add(container.name);
      container.volumeMounts.forEach((mount, mountIndex) => {
        if (!declared.has(mount.name)) {
          throw apiErrors.invalidParameter(
            `${key}.${index + 1}.VolumeMount.${mountIndex + 1}.Name`,
            `No volume named ${mount.name} is declared.`,
          );
        }
      });
    });
  }
}

function raise(error: Error): never {
  throw error;
}
