import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { buildTestImageArchive, TEST_IMAGES } from './images.js';
import { findFreeSubnet } from './network.js';
import { listNetns, teardown } from './teardown.js';

const run = promisify(execFile);

export interface StartContainerdOptions {
  /** Snapshotter to use; by default overlayfs when the kernel mounts it here, native otherwise. */
  snapshotter?: 'overlayfs' | 'native';
  /** How long to wait for the CRI socket to answer. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface Containerd {
  /** Temp directory holding everything this instance writes. */
  dir: string;
  /** Path of the containerd gRPC unix socket (CRI RuntimeService and ImageService both live there). */
  socketPath: string;
  /** The socket as a gRPC target: `unix://<socketPath>`. */
  endpoint: string;
  /** A directory for the provider's per-pod files (volumes), inside `dir`. */
  podRoot: string;
  /** A cgroup parent private to this instance (cgroupfs driver); removed on stop. */
  cgroupParent: string;
  /** The pod subnet of the private CNI bridge, e.g. `10.88.17.0/24`. */
  subnet: string;
  bridgeName: string;
  snapshotter: 'overlayfs' | 'native';
  /** The locally built images, already imported into the `k8s.io` namespace. */
  images: typeof TEST_IMAGES;
  /** containerd's own log file. */
  logPath: string;
  /** Runs `ctr --address <socket> -n k8s.io <args>` and returns its stdout. */
  ctr(args: string[]): Promise<string>;
  /**
   * Kills the containerd daemon only (SIGKILL by default), as a crash or a `systemctl stop` does:
   * its shims and the containers they run keep running; the socket stops answering.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the daemon again on the same root, state, config and socket; resolves once CRI answers. */
  start(): Promise<void>;
  /** `kill()` then `start()`: a containerd restart. */
  restart(): Promise<void>;
  /** Kills every task, containerd and its shims; removes mounts, netns, bridge, cgroups and `dir`. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const CNI_BIN_DIR = '/usr/lib/cni';

/** Launches a private containerd with the CRI plugin on a temp socket. Needs root and Debian's containerd. */
export async function startContainerd(options: StartContainerdOptions = {}): Promise<Containerd> {
  await requireBinaries();
  const archive = await buildTestImageArchive();
  const dir = await mkdtemp(join(tmpdir(), 'vk-ctrd-'));
  const id = dir
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');
  const snapshotter = options.snapshotter ?? ((await overlaySupported(dir)) ? 'overlayfs' : 'native');
  const subnet = await findFreeSubnet();
  const bridgeName = `vkbr${id}`;
  const cgroupParent = `/vkubelet-test-${id}`;
  const socketPath = join(dir, 'containerd.sock');
  const netnsBefore = new Set(await listNetns());

  const paths = {
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    cniConf: join(dir, 'cni'),
    ipam: join(dir, 'ipam'),
    podRoot: join(dir, 'pods'),
    opt: join(dir, 'opt'),
  };
  for (const path of Object.values(paths)) await mkdir(path, { recursive: true });
  await writeFile(
    join(paths.cniConf, '10-vkubelet.conflist'),
    JSON.stringify({
      cniVersion: '0.4.0',
      name: `vkubelet-${id}`,
      plugins: [
        {
          type: 'bridge',
          bridge: bridgeName,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: paths.ipam },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  const configPath = join(dir, 'config.toml');
  await writeFile(configPath, containerdConfig({ ...paths, socketPath, snapshotter }));

  const logPath = join(dir, 'containerd.log');
  const log = createWriteStream(logPath);
  const launch = (): ChildProcess => {
    const daemon = spawn('containerd', ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout.pipe(log, { end: false });
    daemon.stderr.pipe(log, { end: false });
    return daemon;
  };
  let child = launch();

  const ctr = async (args: string[]): Promise<string> =>
    (await run('ctr', ['--address', socketPath, '-n', 'k8s.io', ...args], { maxBuffer: 16 << 20 })).stdout;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (!running()) return;
    const exited = new Promise(resolve => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const start = async (): Promise<void> => {
    if (running()) return;
    child = launch();
    await waitReady(child, ctr, logPath, readyTimeoutMs);
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Tasks are killed through the daemon: bring a killed one back first.
    await start().catch(() => undefined);
    await teardown({ child, ctr, dir, socketPath, bridgeName, cgroupParent, netnsBefore });
    log.end();
  };

  try {
    await waitReady(child, ctr, logPath, readyTimeoutMs);
    await ctr(['images', 'import', '--no-unpack=false', archive]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    socketPath,
    endpoint: `unix://${socketPath}`,
    podRoot: paths.podRoot,
    cgroupParent,
    subnet,
    bridgeName,
    snapshotter,
    images: TEST_IMAGES,
    logPath,
    ctr,
    kill,
    start,
    async restart() {
      await kill();
      await start();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function requireBinaries(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('startContainerd needs root (containerd, runc, CNI)');
  for (const binary of ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/sbin/runc', `${CNI_BIN_DIR}/bridge`]) {
    if (!existsSync(binary) && !(binary === '/usr/sbin/runc' && existsSync('/usr/bin/runc'))) {
      throw new Error(
        `${binary} not found: containerd is not installed; run tools/scripts/setup.d/cri.sh ` +
          '(Debian packages containerd, runc, containernetworking-plugins, busybox-static)',
      );
    }
  }
}

/** Whether the kernel mounts overlayfs with its layers under `dir` (not on every filesystem or in every container). */
export async function overlaySupported(dir: string): Promise<boolean> {
  const probe = join(dir, 'overlay-probe');
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map(name => join(probe, name));
  try {
    for (const path of [lower, upper, work, merged]) await mkdir(path!, { recursive: true });
    await run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
      merged!,
    ]);
    await run('umount', [merged!]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

function containerdConfig(p: {
  root: string;
  state: string;
  cniConf: string;
  opt: string;
  socketPath: string;
  snapshotter: string;
}): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${JSON.stringify(p.root)}
state = ${JSON.stringify(p.state)}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${JSON.stringify(p.socketPath)}

[ttrpc]
  address = ${JSON.stringify(`${p.socketPath}.ttrpc`)}

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(p.opt)}

[${cri}]
  sandbox_image = ${JSON.stringify(TEST_IMAGES.pause)}
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  max_container_log_line_size = 16384
  # Sandboxes ask for oom_score_adj -998, which needs CAP_SYS_RESOURCE; VMs and containers that drop it
  # (this one does) make runc fail with "can't get final child's PID from pipe". Restricting keeps the
  # score at or above containerd's own.
  restrict_oom_score_adj = true

[${cri}.containerd]
  snapshotter = ${JSON.stringify(p.snapshotter)}
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = ${JSON.stringify(CNI_BIN_DIR)}
  conf_dir = ${JSON.stringify(p.cniConf)}
  max_conf_num = 1
`;
}

async function waitReady(
  child: ChildProcess,
  ctr: (args: string[]) => Promise<string>,
  logPath: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}): ${await tail(logPath)}`);
    }
    try {
      const plugins = await ctr(['plugins', 'ls']);
      const criLine = plugins.split('\n').find(line => /\bcri\b/.test(line) && line.includes('grpc'));
      if (criLine && /\bok\s*$/.test(criLine)) return;
      if (criLine && /\berror\s*$/.test(criLine)) {
        throw new Error(`containerd's CRI plugin failed to load: ${await tail(logPath)}`);
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("containerd's CRI")) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`containerd not ready after ${timeoutMs} ms: ${await tail(logPath)}`);
    await sleep(100);
  }
}

async function tail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}
