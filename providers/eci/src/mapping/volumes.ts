import type { V1ConfigMap, V1KeyToPath, V1Pod, V1Secret, V1Volume } from '@kubernetes/client-node';
import { TransientError } from '@vkubelet/provider-kit';

import type { ParamTree } from '../client/params.js';
import { refuse } from './refuse.js';

/** The ConfigMaps and Secrets a pod's volumes and image pull secrets name, read before mapping. */
export interface PodReferences {
  configMaps: ReadonlyMap<string, V1ConfigMap>;
  secrets: ReadonlyMap<string, V1Secret>;
}

export interface MappedVolumes {
  volumes: ParamTree[];
  /** Volumes left out with their mounts: the service-account token the API server adds to pods. */
  dropped: ReadonlySet<string>;
}

/** ECI: one file of a config-file volume holds at most 32 KB. */
const MAX_CONFIG_FILE_BYTES = 32 * 1024;
/** The projected volume the API server adds to every pod that mounts its service-account token. */
const SERVICE_ACCOUNT_VOLUME = /^kube-api-access-/;

type ConfigFile = {
  Path: string;
  Content: string;
  Mode?: number;
};

/**
 * A pod's volumes as ECI volumes: emptyDir as EmptyDirVolume, nfs as NFSVolume, configMap and secret
 * as ConfigFileVolume (the files written when the group is created: later changes of the ConfigMap
 * or Secret do not reach it). The API server's service-account token volume is dropped: ECI has no
 * way to keep a token fresh, and the group authenticates to nothing in the cluster. Everything else
 * is refused, naming the field.
 */
export function mapVolumes(pod: V1Pod, references: PodReferences): MappedVolumes {
  const volumes: ParamTree[] = [];
  const dropped = new Set<string>();
  (pod.spec?.volumes ?? []).forEach((volume, index) => {
    const path = `spec.volumes[${index}]`;
    if (volume.emptyDir) {
      const { medium, sizeLimit } = volume.emptyDir;
      if (medium && medium !== 'Memory') refuse(`${path}.emptyDir.medium`, `medium ${medium} is not offered`);
      volumes.push({
        Name: volume.name,
        Type: 'EmptyDirVolume',
        EmptyDirVolume: { Medium: medium || undefined, SizeLimit: sizeLimit },
      });
    } else if (volume.nfs) {
      volumes.push({
        Name: volume.name,
        Type: 'NFSVolume',
        NFSVolume: {
          Server: volume.nfs.server,
          Path: volume.nfs.path,
          ReadOnly: volume.nfs.readOnly ?? false,
        },
      });
    } else if (volume.configMap || volume.secret) {
      volumes.push(configFileVolume(pod, volume, path, references));
    } else if (volume.projected && SERVICE_ACCOUNT_VOLUME.test(volume.name)) {
      dropped.add(volume.name);
    } else {
      const kind = Object.keys(volume).find(key => key !== 'name') ?? 'source';
      refuse(`${path}.${kind}`, 'only emptyDir, nfs, configMap and secret volumes can be provided');
    }
  });
  return { volumes, dropped };
}

/** A configMap or secret volume as the files ECI writes; an empty one is an empty directory. */
function configFileVolume(pod: V1Pod, volume: V1Volume, path: string, references: PodReferences): ParamTree {
  const namespace = pod.metadata?.namespace ?? '';
  const source = volume.configMap
    ? {
        kind: 'configMap',
        name: volume.configMap.name ?? '',
        items: volume.configMap.items,
        optional: volume.configMap.optional ?? false,
        defaultMode: volume.configMap.defaultMode,
        data: configMapData(references.configMaps.get(volume.configMap.name ?? '')),
      }
    : {
        kind: 'secret',
        name: volume.secret!.secretName ?? '',
        items: volume.secret!.items,
        optional: volume.secret!.optional ?? false,
        defaultMode: volume.secret!.defaultMode,
        data: references.secrets.get(volume.secret!.secretName ?? '')?.data,
      };
  const field = `${path}.${source.kind}`;
  if (!source.data && !source.optional) {
    // As the kubelet does: the pod waits for it (retried) rather than failing.
    throw new TransientError(`${field}: ${source.kind} ${namespace}/${source.name} not found`);
  }
  const files = configFiles(source.data ?? {}, source.items, source.optional, field);
  if (files.length === 0) return { Name: volume.name, Type: 'EmptyDirVolume', EmptyDirVolume: {} };
  return {
    Name: volume.name,
    Type: 'ConfigFileVolume',
    ConfigFileVolume: { ConfigFileToPath: files, DefaultMode: source.defaultMode },
  };
}

/** A ConfigMap's data and binaryData, base64-encoded as ECI wants file contents. */
function configMapData(configMap: V1ConfigMap | undefined): Record<string, string> | undefined {
  if (!configMap) return undefined;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(configMap.data ?? {}))
    data[key] = Buffer.from(value).toString('base64');
  for (const [key, value] of Object.entries(configMap.binaryData ?? {})) data[key] = value;
  return data;
}

function configFiles(
  data: Record<string, string>,
  items: V1KeyToPath[] | undefined,
  optional: boolean,
  field: string,
): ConfigFile[] {
  const chosen: V1KeyToPath[] = items ?? Object.keys(data).map(key => ({ key, path: key }));
  const files: ConfigFile[] = [];
  chosen.forEach((item, index) => {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) return;
      throw new TransientError(`${field}.items[${index}].key: no key ${item.key}`);
    }
    if (Buffer.byteLength(content, 'base64') > MAX_CONFIG_FILE_BYTES) {
      refuse(`${field}: key ${item.key}`, `ECI writes files of at most ${MAX_CONFIG_FILE_BYTES / 1024} KB`);
    }
    files.push({
      Path: item.path,
      Content: content,
      ...(item.mode !== undefined ? { Mode: item.mode } : {}),
    });
  });
  return files;
}
