import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import type { Buildah } from './buildah.js';
import { exec } from './exec.js';
import { parseLdd } from './ldd.js';
import { imagesCacheDir, repoBin } from './paths.js';

/** Repository of the locally made base images; the tag is the hash of everything that went in. */
export const NODE_BASE_REPOSITORY = 'localhost/vkubelet/node-base';

/** Also tagged on the newest base, the default `BASE` of the Containerfiles. */
const LATEST = `${NODE_BASE_REPOSITORY}:latest`;

/** Bump when the recipe below changes in a way the input hashes do not show. */
const RECIPE = 'node-base/1';

const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** The user the public node images have, so `USER 1000:1000` means the same on either base. */
const NODE_UID = 1000;

export interface NodeBase {
  ref: string;
  nodeVersion: string;
  /** False when this call built it. */
  cached: boolean;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * The base image every provider image starts from when no public base is given: `scratch` plus the
 * Node binary of the repository's npm `node` package (symbols stripped), exactly the shared
 * libraries `ldd` says it loads, the CA bundle, and passwd/group entries for root and node (1000).
 * Built once per set of inputs (tag = hash of binary, libraries, CA bundle and recipe) in the
 * buildah storage under the cache; older tags are removed when a new one is made.
 */
export async function ensureNodeBase(
  buildah: Buildah,
  options: { nodeBinary?: string; log?: (line: string) => void } = {},
): Promise<NodeBase> {
  const log = options.log ?? (() => {});
  const nodeBinary = await realpath(options.nodeBinary ?? repoBin('node'));
  const nodeVersion = (await exec(nodeBinary, ['--version'])).trim().replace(/^v/, '');
  const libraries = parseLdd(await exec('ldd', [nodeBinary]));

  const key = createHash('sha256').update(RECIPE);
  // The binary by content only: it lands at /usr/local/bin/node wherever it was installed, and
  // worktrees with the same Node must share one tag rather than remove each other's.
  key.update(`node\0${await sha256File(nodeBinary)}\0`);
  for (const path of [...libraries, CA_BUNDLE]) {
    key.update(`${path}\0${await sha256File(path)}\0`);
  }
  const ref = `${NODE_BASE_REPOSITORY}:${nodeVersion}-${key.digest('hex').slice(0, 16)}`;
  if (await buildah.hasImage(ref)) {
    await buildah.run(['tag', ref, LATEST]);
    return { ref, nodeVersion, cached: true };
  }

  log(`making the base ${ref} from ${nodeBinary} and ${libraries.length} libraries`);
  await mkdir(imagesCacheDir(), { recursive: true });
  const work = await mkdtemp(join(imagesCacheDir(), 'base-'));
  try {
    const rootfs = join(work, 'rootfs');
    const put = async (path: string, content: string, mode = 0o644): Promise<void> => {
      await mkdir(dirname(join(rootfs, path)), { recursive: true });
      await writeFile(join(rootfs, path), content, { mode });
    };
    await mkdir(join(rootfs, 'usr/local/bin'), { recursive: true });
    // Node's debug symbols are a sixth of the binary and serve only native debuggers.
    await exec('strip', ['--strip-all', '-o', join(rootfs, 'usr/local/bin/node'), nodeBinary]);
    for (const library of libraries) {
      await mkdir(dirname(join(rootfs, library)), { recursive: true });
      await copyFile(await realpath(library), join(rootfs, library));
    }
    await mkdir(join(rootfs, 'etc/ssl/certs'), { recursive: true });
    await copyFile(CA_BUNDLE, join(rootfs, CA_BUNDLE));
    await put(
      'etc/passwd',
      `root:x:0:0:root:/root:/sbin/nologin\nnode:x:${NODE_UID}:${NODE_UID}::/home/node:/sbin/nologin\n`,
    );
    await put('etc/group', `root:x:0:\nnode:x:${NODE_UID}:\n`);
    await put('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n');
    // Runtimes that manage /etc/hosts mount their own over this one.
    await put('etc/hosts', '127.0.0.1 localhost\n::1 localhost\n');
    for (const dir of ['tmp', 'root', 'home/node']) await mkdir(join(rootfs, dir), { recursive: true });
    await chmod(join(rootfs, 'tmp'), 0o1777);

    // One deterministic layer: sorted entries, fixed mtime, root-owned but for node's home.
    const layer = join(work, 'rootfs.tar');
    const tar = ['--sort=name', '--mtime=@0', '--numeric-owner', '-C', rootfs];
    await exec('tar', [...tar, '--owner=0', '--group=0', '--exclude=./home/node', '-cf', layer, '.']);
    await exec('tar', [...tar, `--owner=${NODE_UID}`, `--group=${NODE_UID}`, '-rf', layer, './home/node']);
    await writeFile(
      join(work, 'Containerfile'),
      [
        'FROM scratch',
        'ADD rootfs.tar /',
        `ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_VERSION=${nodeVersion}`,
        `LABEL org.opencontainers.image.title="vkubelet-node-base" org.opencontainers.image.version="${nodeVersion}" \\`,
        `      org.opencontainers.image.description="Node ${nodeVersion}, the libraries it links and CA certificates, on scratch"`,
        '',
      ].join('\n'),
    );
    await buildah.run([
      'bud',
      '--quiet',
      '--timestamp',
      '0',
      '--layers=false',
      '-t',
      ref,
      '-t',
      LATEST,
      work,
    ]);
    for (const old of await buildah.tagsOf(NODE_BASE_REPOSITORY)) {
      if (old !== ref && old !== LATEST) await buildah.run(['rmi', old]).catch(() => undefined);
    }
    return { ref, nodeVersion, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
