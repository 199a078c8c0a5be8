import type { Volume } from '@azure/arm-containerinstance';
import type {
  V1ConfigMap,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Secret,
  V1Volume,
} from '@kubernetes/client-node';
import {
  errorMessage,
  InvalidInputError,
  parseQuantity,
  TransientError,
  type CallOptions,
  type ResourceLister,
  type ServiceAccountTokenIssuer,
} from '@vkubelet/provider-kit';

import { refuse } from './refuse.js';

/** Where the volumes' contents come from. */
export interface VolumeSources {
  resources: ResourceLister;
  tokens: ServiceAccountTokenIssuer;
  operatingSystem: 'Linux' | 'Windows';
}

export interface GroupVolumes {
  volumes: Volume[];
  /** Volumes left out on purpose; mounts of them are dropped. */
  dropped: Set<string>;
}

/** File name → content, as an ACI secret volume holds it (base64 on the wire). */
type Files = Map<string, Buffer>;

/** Secret volumes are flat: one file per key, no sub-directories. */
function fileName(path: string, field: string): string {
  if (!path || path.includes('/') || path === '.' || path === '..')
    refuse(field, `"${path}" is not a plain file name (ACI secret volumes hold no sub-directories)`);
  return path;
}

async function read<T>(what: string, lookup: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (err) {
    throw new TransientError(`reading ${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The keys of an object picked by `items` (all keys without it); a missing key is an error unless optional. */
function pick(
  data: Map<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  optional: boolean | undefined,
  what: string,
  field: string,
  into: Files,
): void {
  if (!items?.length) {
    for (const [key, value] of data) into.set(fileName(key, `${field} key ${key}`), value);
    return;
  }
  items.forEach((item, i) => {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) return;
      throw new TransientError(`${what} has no key "${item.key}" (${field}.items[${i}])`);
    }
    into.set(fileName(item.path, `${field}.items[${i}].path`), value);
  });
}

function secretData(secret: V1Secret): Map<string, Buffer> {
  return new Map(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  );
}

function configMapData(configMap: V1ConfigMap): Map<string, Buffer> {
  const data = new Map(Object.entries(configMap.data ?? {}).map(([key, value]) => [key, Buffer.from(value)]));
  for (const [key, value] of Object.entries(configMap.binaryData ?? {}))
    data.set(key, Buffer.from(value, 'base64'));
  return data;
}

type ObjectRef = { name?: string; items?: V1KeyToPath[]; optional?: boolean };

/** The files a Secret or ConfigMap (all its keys, or `items`) gives a volume; a missing one is waited for. */
async function objectFiles(
  kind: 'secret' | 'configmap',
  sources: VolumeSources,
  namespace: string,
  ref: ObjectRef,
  field: string,
  into: Files,
): Promise<void> {
  const name = ref.name ?? '';
  const what = `${kind} "${namespace}/${name}"`;
  const data = await read(what, async () => {
    if (kind === 'secret') {
      const secret = await sources.resources.getSecret(namespace, name);
      return secret && secretData(secret);
    }
    const configMap = await sources.resources.getConfigMap(namespace, name);
    return configMap && configMapData(configMap);
  });
  if (!data) {
    if (ref.optional) return;
    throw new TransientError(`${what} not found (${field})`);
  }
  pick(data, ref.items, ref.optional, what, field, into);
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map(key => `${key}=${JSON.stringify(map![key])}`)
    .join('\n');
}

/** A container's resource as a downward API file gives it, in units of `divisor`. */
function resourceValue(pod: V1Pod, item: V1DownwardAPIVolumeFile, field: string): string {
  const ref = item.resourceFieldRef!;
  const container = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    c => c.name === ref.containerName,
  );
  if (!container)
    throw new InvalidInputError(
      `${field}.resourceFieldRef.containerName: no container "${ref.containerName}"`,
    );
  const [source, name] = ref.resource.split('.') as ['limits' | 'requests', string];
  if ((source !== 'limits' && source !== 'requests') || (name !== 'cpu' && name !== 'memory'))
    refuse(`${field}.resourceFieldRef.resource`, `${ref.resource} cannot be given`);
  const value = container.resources?.[source]?.[name] ?? container.resources?.requests?.[name];
  if (value === undefined)
    refuse(`${field}.resourceFieldRef`, `${ref.resource} of ${ref.containerName} is unset`);
  const divisor = parseQuantity(ref.divisor ?? '1');
  return String(Math.ceil(parseQuantity(value) / divisor));
}

function downwardFiles(pod: V1Pod, items: V1DownwardAPIVolumeFile[], field: string, into: Files): void {
  items.forEach((item, i) => {
    const itemField = `${field}.items[${i}]`;
    const name = fileName(item.path, `${itemField}.path`);
    if (item.resourceFieldRef) {
      into.set(name, Buffer.from(resourceValue(pod, item, itemField)));
      return;
    }
    const path = item.fieldRef?.fieldPath ?? '';
    const meta = pod.metadata ?? {};
    const labelKey = /^metadata\.labels\['(.+)'\]$/.exec(path)?.[1];
    const annotationKey = /^metadata\.annotations\['(.+)'\]$/.exec(path)?.[1];
    const value =
      path === 'metadata.name'
        ? meta.name
        : path === 'metadata.namespace'
          ? meta.namespace
          : path === 'metadata.uid'
            ? meta.uid
            : path === 'metadata.labels'
              ? formatMap(meta.labels)
              : path === 'metadata.annotations'
                ? formatMap(meta.annotations)
                : labelKey !== undefined
                  ? (meta.labels?.[labelKey] ?? '')
                  : annotationKey !== undefined
                    ? (meta.annotations?.[annotationKey] ?? '')
                    : undefined;
    if (value === undefined)
      refuse(`${itemField}.fieldRef.fieldPath`, `${path} is not known when the group is created`);
    into.set(name, Buffer.from(value));
  });
}

/** The kube-api-access-* volume the API server adds to nearly every pod: a token, the CA and the namespace. */
function isServiceAccountVolume(volume: V1Volume): boolean {
  return volume.projected?.sources?.some(source => source.serviceAccountToken) ?? false;
}

async function projectedFiles(
  pod: V1Pod,
  volume: V1Volume,
  field: string,
  sources: VolumeSources,
  options: CallOptions,
): Promise<Files> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const files: Files = new Map();
  const projections = volume.projected?.sources ?? [];
  for (const [i, source] of projections.entries()) {
    const sourceField = `${field}.projected.sources[${i}]`;
    if (source.secret)
      await objectFiles('secret', sources, namespace, source.secret, `${sourceField}.secret`, files);
    else if (source.configMap)
      await objectFiles('configmap', sources, namespace, source.configMap, `${sourceField}.configMap`, files);
    else if (source.downwardAPI)
      downwardFiles(pod, source.downwardAPI.items ?? [], `${sourceField}.downwardAPI`, files);
    else if (source.serviceAccountToken) {
      const projection = source.serviceAccountToken;
      const serviceAccountName = pod.spec?.serviceAccountName ?? 'default';
      let token: string;
      try {
        ({ token } = await sources.tokens.requestToken(
          pod,
          {
            serviceAccountName,
            ...(projection.audience ? { audience: projection.audience } : {}),
            ...(projection.expirationSeconds ? { expirationSeconds: projection.expirationSeconds } : {}),
          },
          options,
        ));
      } catch (err) {
        throw new TransientError(
          `requesting a token of service account ${namespace}/${serviceAccountName} (${sourceField}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
      files.set(fileName(projection.path, `${sourceField}.serviceAccountToken.path`), Buffer.from(token));
    } else {
      const kind = Object.keys(source)[0] ?? 'unknown';
      refuse(
        `${sourceField}.${kind}`,
        'only secret, configMap, downwardAPI and serviceAccountToken can be projected',
      );
    }
  }
  return files;
}

function secretVolume(name: string, files: Files): Volume {
  return {
    name,
    secret: Object.fromEntries([...files].map(([file, content]) => [file, content.toString('base64')])),
  };
}

async function azureFileVolume(
  pod: V1Pod,
  volume: V1Volume,
  field: string,
  sources: VolumeSources,
): Promise<Volume> {
  const source = volume.azureFile!;
  const namespace = pod.metadata?.namespace ?? 'default';
  const what = `secret "${namespace}/${source.secretName}"`;
  const secret = await read(what, () => sources.resources.getSecret(namespace, source.secretName));
  if (!secret) throw new TransientError(`${what} not found (${field}.azureFile.secretName)`);
  const data = secretData(secret);
  const account = data.get('azurestorageaccountname')?.toString();
  const key = data.get('azurestorageaccountkey')?.toString();
  if (!account || !key)
    throw new InvalidInputError(
      `${field}.azureFile.secretName: ${what} needs azurestorageaccountname and azurestorageaccountkey`,
    );
  return {
    name: volume.name,
    azureFile: {
      shareName: source.shareName,
      storageAccountName: account,
      storageAccountKey: key,
      ...(source.readOnly ? { readOnly: true } : {}),
    },
  };
}

/**
 * The pod's volumes as ACI's: emptyDir as emptyDir; secret, configMap, downwardAPI and projected
 * (service-account token included, requested from the API server as the kubelet does) as secret
 * volumes, which hold files written once when the group is created; azureFile with the storage
 * account from its Secret; gitRepo as it is. Windows groups take emptyDir only; there the
 * service-account volume the API server injects is left out (its mounts with it) rather than refused.
 */
export async function groupVolumes(
  pod: V1Pod,
  sources: VolumeSources,
  options: CallOptions,
): Promise<GroupVolumes> {
  const result: GroupVolumes = { volumes: [], dropped: new Set() };
  const namespace = pod.metadata?.namespace ?? 'default';
  const windows = sources.operatingSystem === 'Windows';
  for (const [i, volume] of (pod.spec?.volumes ?? []).entries()) {
    const field = `spec.volumes[${i}]`;
    if (volume.emptyDir) {
      if (volume.emptyDir.medium === 'Memory')
        refuse(`${field}.emptyDir.medium`, 'memory-backed volumes are not offered');
      result.volumes.push({ name: volume.name, emptyDir: {} });
      continue;
    }
    if (windows) {
      if (isServiceAccountVolume(volume)) {
        result.dropped.add(volume.name);
        continue;
      }
      const kind = Object.keys(volume).find(key => key !== 'name') ?? 'unknown';
      refuse(`${field}.${kind}`, 'Windows container groups mount emptyDir volumes only');
    }
    if (volume.secret) {
      const files: Files = new Map();
      const { secretName, ...ref } = volume.secret;
      await objectFiles(
        'secret',
        sources,
        namespace,
        { ...ref, ...(secretName ? { name: secretName } : {}) },
        `${field}.secret`,
        files,
      );
      result.volumes.push(secretVolume(volume.name, files));
    } else if (volume.configMap) {
      const files: Files = new Map();
      await objectFiles('configmap', sources, namespace, volume.configMap, `${field}.configMap`, files);
      result.volumes.push(secretVolume(volume.name, files));
    } else if (volume.downwardAPI) {
      const files: Files = new Map();
      downwardFiles(pod, volume.downwardAPI.items ?? [], `${field}.downwardAPI`, files);
      result.volumes.push(secretVolume(volume.name, files));
    } else if (volume.projected) {
      result.volumes.push(
        secretVolume(volume.name, await projectedFiles(pod, volume, field, sources, options)),
      );
    } else if (volume.azureFile) {
      result.volumes.push(await azureFileVolume(pod, volume, field, sources));
    } else if (volume.gitRepo) {
      const { repository, directory, revision } = volume.gitRepo;
      result.volumes.push({
        name: volume.name,
        gitRepo: { repository, ...(directory ? { directory } : {}), ...(revision ? { revision } : {}) },
      });
    } else {
      const kind = Object.keys(volume).find(key => key !== 'name') ?? 'unknown';
      refuse(
        `${field}.${kind}`,
        'only emptyDir, secret, configMap, downwardAPI, projected, azureFile and gitRepo volumes are offered',
      );
    }
  }
  return result;
}
