import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';

import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { InvalidInputError, TransientError, type ResourceLister } from '@vkubelet/provider-kit';

import type { Mount } from '../cri/types.js';

/** One file a configMap, secret, downwardAPI or projected volume holds. */
interface VolumeFile {
  path: string;
  content: Buffer;
  mode?: number;
}

/**
 * Writes every volume of the pod under `<podDir>/volumes/<name>` and returns, per volume name, the host
 * path to bind-mount. hostPath volumes are mounted as they are. Missing configMaps/secrets that are not
 * optional are a TransientError (they may appear later, as kubelet retries).
 */
export async function prepareVolumes(
  pod: V1Pod,
  podDir: string,
  resources: ResourceLister,
): Promise<Map<string, string>> {
  const hostPaths = new Map<string, string>();
  const namespace = pod.metadata!.namespace!;
  for (const volume of pod.spec?.volumes ?? []) {
    if (volume.hostPath) {
      hostPaths.set(volume.name, volume.hostPath.path);
      continue;
    }
    const dir = join(podDir, 'volumes', volume.name);
    if (volume.emptyDir) {
      await mkdir(dir, { recursive: true, mode: 0o777 });
      await chmod(dir, 0o777);
    } else {
      const files = await volumeFiles(volume, pod, namespace, resources);
      if (!files)
        throw new InvalidInputError(`volume ${volume.name}: type not supported by the CRI provider`);
      await writeVolume(dir, files);
    }
    hostPaths.set(volume.name, dir);
  }
  return hostPaths;
}

async function volumeFiles(
  volume: V1Volume,
  pod: V1Pod,
  namespace: string,
  resources: ResourceLister,
): Promise<VolumeFile[] | undefined> {
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

async function writeVolume(dir: string, files: VolumeFile[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const target = normalize(join(dir, file.path));
    if (!target.startsWith(`${dir}/`))
      throw new InvalidInputError(`volume item path "${file.path}" escapes the volume`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: file.mode ?? 0o644 });
    await chmod(target, file.mode ?? 0o644);
  }
}

/** The container's bind mounts for its volumeMounts (subPath joined onto the volume's host path). */
export function containerMounts(container: V1Container, hostPaths: Map<string, string>): Mount[] {
  return (container.volumeMounts ?? []).map(mount => {
    const hostPath = hostPaths.get(mount.name);
    if (hostPath === undefined) {
      throw new InvalidInputError(
        `container ${container.name}: volumeMount "${mount.name}" names no volume of the pod`,
      );
    }
    const source = mount.subPath ? normalize(join(hostPath, mount.subPath)) : hostPath;
    if (mount.subPath && !source.startsWith(hostPath)) {
      throw new InvalidInputError(
        `container ${container.name}: subPath "${mount.subPath}" escapes its volume`,
      );
    }
    return {
      container_path: mount.mountPath,
      host_path: source,
      readonly: mount.readOnly === true,
      propagation:
        mount.mountPropagation === 'Bidirectional'
          ? 'PROPAGATION_BIDIRECTIONAL'
          : mount.mountPropagation === 'HostToContainer'
            ? 'PROPAGATION_HOST_TO_CONTAINER'
            : 'PROPAGATION_PRIVATE',
    };
  });
}

/** Volume name → host path, for a pod whose volumes were written by an earlier process. */
export function volumeHostPaths(pod: V1Pod, podDir: string): Map<string, string> {
  return new Map(
    (pod.spec?.volumes ?? []).map(volume => [
      volume.name,
      volume.hostPath ? volume.hostPath.path : join(podDir, 'volumes', volume.name),
    ]),
  );
}
