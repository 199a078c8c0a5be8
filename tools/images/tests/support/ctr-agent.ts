import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Containerd } from '@vkubelet/containerd';

import { exec } from '../../src/index.js';

/** The containerd namespace the agents run in, as in providers/cri/deploy/vkubelet-cri.service. */
export const AGENT_NAMESPACE = 'vkubelet';

/** Environment for ctr: the snapshotter the private containerd uses (overlayfs is not everywhere). */
export function ctrEnv(containerd: Containerd): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERD_SNAPSHOTTER: containerd.snapshotter };
}

/** `ctr --address <containerd> --namespace vkubelet <args>` */
export function agentCtr(containerd: Containerd, args: string[]): Promise<string> {
  return exec('ctr', ['--address', containerd.socketPath, '--namespace', AGENT_NAMESPACE, ...args], {
    env: ctrEnv(containerd),
  });
}

/** The manifest digest containerd recorded for an image it pulled. */
export async function pulledDigest(containerd: Containerd, ref: string): Promise<string> {
  const listing = await agentCtr(containerd, ['images', 'ls']);
  const line = listing.split('\n').find(row => row.split(/\s+/)[0] === ref);
  if (!line) throw new Error(`containerd has no image ${ref}:\n${listing}`);
  return line.split(/\s+/)[2]!;
}

export interface CtrAgent {
  /** What the agent printed so far (its log), for assertions and failure messages. */
  output(): string;
  /** The exit code of `ctr run` (the agent's, passed through), once it ends. */
  readonly exited: Promise<number | null>;
  /** SIGTERM through containerd, SIGKILL after 20 s; then removes the container. */
  stop(): Promise<number | null>;
}

/**
 * Runs `ctr ... run` in the foreground (as systemd would), keeping its output. `argv` is the whole
 * command line, `ctr` first; `id` is the container ID it names.
 */
export function startCtrAgent(containerd: Containerd, argv: string[], id: string): CtrAgent {
  const child = spawn(argv[0]!, argv.slice(1), {
    env: ctrEnv(containerd),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>(resolve => {
    child.once('exit', code => resolve(code));
    child.once('error', () => resolve(null));
  });
  return {
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await agentCtr(containerd, ['tasks', 'kill', '--signal', 'SIGTERM', id]).catch(() => undefined);
        const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
        if (code === 'timeout') {
          await agentCtr(containerd, ['tasks', 'kill', '--signal', 'SIGKILL', id]).catch(() => undefined);
          await Promise.race([exited, sleep(5_000)]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      }
      await agentCtr(containerd, ['tasks', 'delete', '--force', id]).catch(() => undefined);
      await agentCtr(containerd, ['containers', 'delete', id]).catch(() => undefined);
      return exited;
    },
  };
}
