import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { overlaySupported } from '@vkubelet/containerd';

import { CommandError, exec } from './exec.js';
import { imagesCacheDir } from './paths.js';

/** What `buildah inspect --type image` tells about an image (the parts the builds use). */
export interface ImageFacts {
  /** Config digest: the image ID, the same whatever the layers' compression. */
  configDigest: string;
  /** Uncompressed size of each layer (bytes), base layers first. */
  layerSizes: number[];
  labels: Record<string, string>;
  entrypoint: string[];
  user: string;
}

/**
 * buildah with a storage of its own under the cache (`<cache>/images/storage-<driver>`), so image
 * builds share nothing with the machine's `/var/lib/containers` and survive between runs. overlay when
 * the kernel mounts it there, vfs otherwise; `VKUBELET_STORAGE_DRIVER` forces one.
 */
export class Buildah {
  private constructor(
    readonly root: string,
    readonly runRoot: string,
    readonly driver: 'overlay' | 'vfs',
  ) {}

  static async create(cacheDir = imagesCacheDir()): Promise<Buildah> {
    await mkdir(cacheDir, { recursive: true });
    const forced = process.env['VKUBELET_STORAGE_DRIVER'];
    if (forced !== undefined && forced !== 'overlay' && forced !== 'vfs') {
      throw new Error(`VKUBELET_STORAGE_DRIVER must be overlay or vfs, got "${forced}"`);
    }
    const driver = forced ?? ((await overlaySupported(cacheDir)) ? 'overlay' : 'vfs');
    return new Buildah(join(cacheDir, `storage-${driver}`), join(cacheDir, `run-${driver}`), driver);
  }

  /** Runs `buildah <storage flags> <args>` and returns its stdout. */
  run(args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
    return exec(
      'buildah',
      ['--root', this.root, '--runroot', this.runRoot, '--storage-driver', this.driver, ...args],
      options,
    );
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.run(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref]);
      return true;
    } catch (error) {
      if (error instanceof CommandError) return false;
      throw error;
    }
  }

  async inspect(ref: string): Promise<ImageFacts> {
    const info = JSON.parse(await this.run(['inspect', '--type', 'image', ref])) as {
      Manifest: string;
      OCIv1: { config?: { Labels?: Record<string, string>; Entrypoint?: string[]; User?: string } };
    };
    const manifest = JSON.parse(info.Manifest) as { config: { digest: string }; layers: { size: number }[] };
    return {
      configDigest: manifest.config.digest,
      layerSizes: manifest.layers.map(layer => layer.size),
      labels: info.OCIv1.config?.Labels ?? {},
      entrypoint: info.OCIv1.config?.Entrypoint ?? [],
      user: info.OCIv1.config?.User ?? '',
    };
  }

  /** Names (repository:tag) of the stored images whose repository is `repository`. */
  async tagsOf(repository: string): Promise<string[]> {
    const images = JSON.parse((await this.run(['images', '--json'])) || '[]') as { names?: string[] }[];
    return images.flatMap(image => image.names ?? []).filter(name => name.startsWith(`${repository}:`));
  }
}
