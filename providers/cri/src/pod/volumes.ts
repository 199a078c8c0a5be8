import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { InvalidInputError, volumeFiles, type ResourceLister, type VolumeFile } from '@vkubelet/provider-kit';

import type { Mount } from '../cri/types.js';

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
      const files = await volumeFiles(volume, pod, resources);
      if (!files)
        throw new InvalidInputError(`volume ${volume.name}: type not supported by the CRI provider`);
      await writeVolume(dir, files);
    }
    hostPaths.set(volume.name, dir);
  }
  return hostPaths;
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
