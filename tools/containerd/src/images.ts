import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Names under which the locally built images are imported; nothing is ever pulled from a registry. */
export const TEST_IMAGES = {
  /** busybox-static with every applet linked into /bin; default command `sh`. */
  busybox: 'vkubelet.test/busybox:1',
  /** The same layer with `sleep` as entrypoint: the sandbox ("pause") image. */
  pause: 'vkubelet.test/pause:1',
} as const;

const BUSYBOX = '/bin/busybox';

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Builds (once per machine, cached by the busybox binary's hash) a docker-archive tar holding both test
 * images, ready for `ctr images import`. Docker-archive rather than OCI layout because its RepoTags name
 * the images without relying on containerd's annotation conventions.
 */
export async function buildTestImageArchive(cacheDir = defaultCacheDir()): Promise<string> {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} not found: install Debian's busybox-static (tools/scripts/setup.d/cri.sh)`);
  }
  const binary = await readFile(BUSYBOX);
  const archive = join(cacheDir, `test-images-${sha256(binary).slice(0, 16)}.tar`);
  if (existsSync(archive)) return archive;

  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'vk-images-'));
  try {
    const rootfs = join(work, 'rootfs');
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    for (const dir of ['tmp', 'etc', 'proc', 'sys', 'dev', 'root', 'var', 'run']) {
      await mkdir(join(rootfs, dir), { recursive: true });
    }
    await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    const { stdout } = await run(BUSYBOX, ['--list']);
    for (const applet of stdout.split('\n').filter(name => name && name !== 'busybox')) {
      await symlink('busybox', join(rootfs, 'bin', applet));
    }
    await writeFile(
      join(rootfs, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n',
    );
    await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');

    const out = join(work, 'out');
    await mkdir(out);
    // Deterministic layer: fixed owner and mtime, sorted entries, so the digest only follows busybox.
    await run('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '-C',
      rootfs,
      '-cf',
      join(out, 'layer.tar'),
      '.',
    ]);
    const diffId = `sha256:${sha256(await readFile(join(out, 'layer.tar')))}`;
    const config = (entrypoint: string[] | null, cmd: string[]): string =>
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '1970-01-01T00:00:00Z',
        config: { Env: ['PATH=/bin'], Entrypoint: entrypoint, Cmd: cmd, WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [diffId] },
      });
    const busyboxConfig = config(null, ['sh']);
    // `sleep` as PID 1 ignores SIGTERM; the runtime stops sandboxes with SIGKILL, which is what we want.
    const pauseConfig = config(['/bin/sleep', '2147483647'], []);
    await writeFile(join(out, 'busybox.json'), busyboxConfig);
    await writeFile(join(out, 'pause.json'), pauseConfig);
    await writeFile(
      join(out, 'manifest.json'),
      JSON.stringify([
        { Config: 'busybox.json', RepoTags: [TEST_IMAGES.busybox], Layers: ['layer.tar'] },
        { Config: 'pause.json', RepoTags: [TEST_IMAGES.pause], Layers: ['layer.tar'] },
      ]),
    );
    const partial = `${archive}.${process.pid}.partial`;
    await run('tar', ['-C', out, '-cf', partial, 'manifest.json', 'busybox.json', 'pause.json', 'layer.tar']);
    await rename(partial, archive);
    return archive;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function defaultCacheDir(): string {
  return join(process.env['VKUBELET_CACHE'] ?? join(homedir(), '.cache', 'vkubelet'), 'cri-images');
}
