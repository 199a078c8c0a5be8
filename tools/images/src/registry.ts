import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort } from '@vkubelet/testenv';

import { exec } from './exec.js';

const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface Registry {
  /** `127.0.0.1:<port>`: the registry host part of image references (plain HTTP). */
  host: string;
  /** Pushes an OCI archive with skopeo; returns the manifest digest the registry stored. */
  push(archive: string, repositoryTag: string): Promise<string>;
  /** The manifest digest the registry serves for `repository:tag` (skopeo inspect). */
  digestOf(repositoryTag: string): Promise<string>;
  logTail(): Promise<string>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts Debian's docker-registry (distribution) on a free loopback port with its storage in a temp
 * dir, and waits until `/v2/` answers. Plain HTTP: skopeo and containerd are told so per call.
 */
export async function startRegistry(options: { readyTimeoutMs?: number } = {}): Promise<Registry> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(
      `${REGISTRY_BINARY} not found: install Debian's docker-registry (tools/scripts/apt-packages.txt)`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'vk-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const configPath = join(dir, 'config.json');
  // JSON is YAML, which is what the registry reads.
  await writeFile(
    configPath,
    JSON.stringify({
      version: 0.1,
      log: { level: 'info', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
      http: { addr: host },
    }),
  );
  const logPath = join(dir, 'registry.log');
  const log = createWriteStream(logPath);
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const logTail = async (): Promise<string> =>
    (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    log.end();
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = await logTail();
      await stop();
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    const ok = await fetch(`http://${host}/v2/`).then(
      response => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      const tail = await logTail();
      await stop();
      throw new Error(`docker-registry did not answer on ${host}:\n${tail}`);
    }
    await sleep(100);
  }

  return {
    host,
    async push(archive, repositoryTag) {
      const digestFile = join(dir, `digest-${Date.now()}`);
      await exec('skopeo', [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--digestfile',
        digestFile,
        `oci-archive:${archive}`,
        `docker://${host}/${repositoryTag}`,
      ]);
      return (await readFile(digestFile, 'utf8')).trim();
    },
    async digestOf(repositoryTag) {
      const out = await exec('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--format',
        '{{.Digest}}',
        `docker://${host}/${repositoryTag}`,
      ]);
      return out.trim();
    },
    logTail,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
