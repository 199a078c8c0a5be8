import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { volumeFiles, type ResourceLister, type VolumeFile } from '@vkubelet/provider-kit';

import type { Template } from '../nomad/types.js';
import { refuse } from './refuse.js';

/** What a pod volume becomes in a Nomad task. */
type VolumeKind =
  /** Files rendered by templates into the task directory (configMap, secret, downwardAPI, projected). */
  | 'files'
  /** A directory in the allocation's shared `alloc/` directory, seen by every task of the pod. */
  | 'emptyDir';

/** The pod's volumes by name, with what each becomes; refuses kinds Nomad cannot carry. */
export function podVolumes(pod: V1Pod): Map<string, { kind: VolumeKind; volume: V1Volume }> {
  const volumes = new Map<string, { kind: VolumeKind; volume: V1Volume }>();
  (pod.spec?.volumes ?? []).forEach((volume, i) => {
    const path = `spec.volumes[${i}]`;
    if (volume.emptyDir) {
      if (volume.emptyDir.medium === 'Memory')
        refuse(`${path}.emptyDir.medium`, 'a memory-backed directory cannot be shared between tasks');
      volumes.set(volume.name, { kind: 'emptyDir', volume });
    } else if (volume.configMap || volume.secret || volume.downwardAPI || volume.projected) {
      volumes.set(volume.name, { kind: 'files', volume });
    } else {
      const kind = Object.keys(volume).find(key => key !== 'name') ?? 'unknown';
      refuse(
        `${path}.${kind}`,
        'only configMap, secret, downwardAPI, projected and emptyDir volumes can be provided',
      );
    }
  });
  return volumes;
}

/**
 * The files of the pod's configMap, secret, downwardAPI and projected volumes, read through core's
 * caches at create time (a missing, non-optional object is a TransientError: core retries).
 */
export async function readVolumeFiles(
  pod: V1Pod,
  resources: ResourceLister,
): Promise<Map<string, VolumeFile[]>> {
  const files = new Map<string, VolumeFile[]>();
  for (const [name, { kind, volume }] of podVolumes(pod)) {
    if (kind === 'files') files.set(name, (await volumeFiles(volume, pod, resources)) ?? []);
  }
  return files;
}

/** A projected volume with a service-account token: the one the API server adds to nearly every pod. */
function isServiceAccountVolume(volume: V1Volume): boolean {
  return volume.projected?.sources?.some(source => source.serviceAccountToken) === true;
}

/** Where a volume's files land, relative to the task directory. */
function volumeDir(name: string, volume: V1Volume, kind: VolumeKind): string {
  if (kind === 'emptyDir') return `../alloc/vk-volumes/${name}`;
  // Secrets (and projected volumes, which hold tokens) go to the task's in-memory secrets directory.
  return `${volume.secret || volume.projected ? 'secrets' : 'local'}/vk-volumes/${name}`;
}

function checkRelative(path: string, where: string): string {
  const parts = path.split('/');
  if (path.startsWith('/') || parts.includes('..')) refuse(where, `"${path}" must stay inside the volume`);
  return path;
}

/** A template rendering one file: its bytes in base64, so no content is read as template syntax. */
function fileTemplate(dir: string, file: VolumeFile): Template {
  return {
    EmbeddedTmpl: `{{ base64Decode "${file.content.toString('base64')}" }}`,
    DestPath: `${dir}/${checkRelative(file.path, `volume item path`)}`,
    ChangeMode: 'noop',
    Perms: (file.mode ?? 0o644).toString(8).padStart(4, '0'),
  };
}

export interface ContainerVolumes {
  templates: Template[];
  /** docker `volumes` entries, `<path relative to the task dir>:<mount path>[:ro]`. */
  binds: string[];
}

/**
 * A container's volume mounts as Nomad sees them: templates that render configMap, secret,
 * downwardAPI and projected files into the task directory, and docker bind mounts of those
 * directories (or of the allocation's shared directory for emptyDir) at the mount paths. Relative
 * bind sources inside the allocation directory need no `volumes.enabled` on the Nomad clients.
 * Drivers without mounts (raw_exec, exec) take none, except the service-account volume the API
 * server adds to every pod, which they leave out.
 */
export function containerVolumes(
  container: V1Container,
  path: string,
  mounts: boolean,
  volumes: ReadonlyMap<string, { kind: VolumeKind; volume: V1Volume }>,
  files: ReadonlyMap<string, readonly VolumeFile[]>,
): ContainerVolumes {
  const result: ContainerVolumes = { templates: [], binds: [] };
  const rendered = new Set<string>();
  (container.volumeMounts ?? []).forEach((mount, i) => {
    const where = `${path}.volumeMounts[${i}]`;
    const entry = volumes.get(mount.name);
    if (!entry) refuse(`${where}.name`, `no volume "${mount.name}" in the pod`);
    if (!mounts) {
      if (isServiceAccountVolume(entry.volume)) return;
      refuse(where, "the task's driver mounts no volumes (use the docker driver)");
    }
    if (mount.subPathExpr) refuse(`${where}.subPathExpr`, 'sub-path expressions are not expanded');
    if (mount.mountPropagation && mount.mountPropagation !== 'None')
      refuse(`${where}.mountPropagation`, 'mounts do not propagate');
    const dir = volumeDir(mount.name, entry.volume, entry.kind);
    if (entry.kind === 'files' && !rendered.has(mount.name)) {
      rendered.add(mount.name);
      for (const file of files.get(mount.name) ?? []) result.templates.push(fileTemplate(dir, file));
    }
    const source = mount.subPath ? `${dir}/${checkRelative(mount.subPath, `${where}.subPath`)}` : dir;
    // configMap, secret, downwardAPI and projected volumes are read-only, as on a kubelet.
    const readOnly = mount.readOnly === true || entry.kind === 'files';
    result.binds.push(`${source}:${mount.mountPath}${readOnly ? ':ro' : ''}`);
  });
  return result;
}
