import type { V1Pod, V1Volume } from '@kubernetes/client-node';

import { InvalidInputError, TransientError } from '../errdefs/index.js';
import type { ResourceLister } from '../provider.js';

/** One file a configMap, secret, downwardAPI or projected volume holds. */
export interface VolumeFile {
  /** Relative to the volume's root, as the pod's `items[].path` (or the key) says. */
  path: string;
  /** The file's bytes (a configMap's binaryData and a secret's data decoded). */
  content: Buffer;
  /** File mode from the item or the volume's defaultMode; unset means 0644. */
  mode?: number;
}

/**
 * The files a configMap, secret, downwardAPI or projected volume of `pod` holds, read through core's
 * ResourceLister; undefined for a volume of another kind. A missing configMap or secret is empty when
 * the volume says `optional`, else a TransientError (it may appear later, as the kubelet retries); a
 * missing key of `items` is an InvalidInputError. Projected service-account tokens are left out: the
 * provider contract offers no TokenRequest, so only the CA and namespace of `kube-api-access-*`
 * volumes are there.
 */
export async function volumeFiles(
  volume: V1Volume,
  pod: V1Pod,
  resources: ResourceLister,
): Promise<VolumeFile[] | undefined> {
  const namespace = pod.metadata?.namespace ?? '';
  if (volume.configMap) {
    const source = volume.configMap;
    return configMapFiles(
      namespace,
      source.name!,
      source.items,
      source.optional,
      source.defaultMode,
      resources,
    );
  }
  if (volume.secret) {
    const source = volume.secret;
    return secretFiles(
      namespace,
      source.secretName!,
      source.items,
      source.optional,
      source.defaultMode,
      resources,
    );
  }
  if (volume.downwardAPI) {
    return downwardFiles(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode);
  }
  if (volume.projected) {
    const files: VolumeFile[] = [];
    const mode = volume.projected.defaultMode;
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) {
        const c = source.configMap;
        files.push(...(await configMapFiles(namespace, c.name!, c.items, c.optional, mode, resources)));
      } else if (source.secret) {
        const s = source.secret;
        files.push(...(await secretFiles(namespace, s.name!, s.items, s.optional, mode, resources)));
      } else if (source.downwardAPI) {
        files.push(...downwardFiles(pod, source.downwardAPI.items ?? [], mode));
      } else if (source.serviceAccountToken) {
        // Tokens need the TokenRequest API, which the provider contract does not offer; skip, as the
        // pod may not use it (the default kube-api-access volume has one).
        continue;
      }
    }
    return files;
  }
  return undefined;
}

type KeyToPath = { key: string; path: string; mode?: number }[] | undefined;

/** The files of a ConfigMap's or Secret's keys; a missing object is empty if optional, else retried. */
function objectFiles(
  label: string,
  data: Map<string, Buffer> | undefined,
  items: KeyToPath,
  optional: boolean | undefined,
  defaultMode: number | undefined,
): VolumeFile[] {
  if (!data) {
    if (optional) return [];
    throw new TransientError(`${label} not found`);
  }
  return pickItems(data, items, defaultMode, label, optional);
}

async function configMapFiles(
  namespace: string,
  name: string,
  items: KeyToPath,
  optional: boolean | undefined,
  defaultMode: number | undefined,
  resources: ResourceLister,
): Promise<VolumeFile[]> {
  const configMap = await resources.getConfigMap(namespace, name);
  const data = configMap && new Map<string, Buffer>();
  for (const [key, value] of Object.entries(configMap?.data ?? {})) data?.set(key, Buffer.from(value));
  for (const [key, value] of Object.entries(configMap?.binaryData ?? {}))
    data?.set(key, Buffer.from(value, 'base64'));
  return objectFiles(`configmap "${namespace}/${name}"`, data, items, optional, defaultMode);
}

async function secretFiles(
  namespace: string,
  name: string,
  items: KeyToPath,
  optional: boolean | undefined,
  defaultMode: number | undefined,
  resources: ResourceLister,
): Promise<VolumeFile[]> {
  const secret = await resources.getSecret(namespace, name);
  const data = secret && new Map<string, Buffer>();
  for (const [key, value] of Object.entries(secret?.data ?? {})) data?.set(key, Buffer.from(value, 'base64'));
  for (const [key, value] of Object.entries(secret?.stringData ?? {})) data?.set(key, Buffer.from(value));
  return objectFiles(`secret "${namespace}/${name}"`, data, items, optional, defaultMode);
}

function pickItems(
  data: Map<string, Buffer>,
  items: KeyToPath,
  defaultMode: number | undefined,
  what: string,
  optional: boolean | undefined,
): VolumeFile[] {
  if (!items || items.length === 0) {
    return [...data].map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = data.get(item.key);
    if (!content) {
      if (optional) continue;
      throw new InvalidInputError(`${what} has no key "${item.key}"`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return files;
}

function downwardFiles(
  pod: V1Pod,
  items: {
    path: string;
    fieldRef?: { fieldPath: string };
    mode?: number;
    resourceFieldRef?: { resource: string };
  }[],
  defaultMode: number | undefined,
): VolumeFile[] {
  return items.map(item => {
    let value = '';
    if (item.fieldRef) value = fieldValue(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef) {
      throw new InvalidInputError(
        `downwardAPI resourceFieldRef (${item.resourceFieldRef.resource}) not supported in volumes`,
      );
    }
    return { path: item.path, content: Buffer.from(value), mode: item.mode ?? defaultMode };
  });
}

function fieldValue(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const map = (record: Record<string, string> | undefined): string =>
    Object.entries(record ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n');
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return map(meta.labels);
    case 'metadata.annotations':
      return map(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
  }
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const record = labelOrAnnotation[1] === 'labels' ? meta.labels : meta.annotations;
    return record?.[labelOrAnnotation[2]!] ?? '';
  }
  throw new InvalidInputError(`downwardAPI fieldPath "${fieldPath}" not supported in volumes`);
}
