import { execFile, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';

import { binaryPath } from '@vkubelet/testenv';

/** The repository root, where `bash tools/scripts/start.sh` runs. */
export const repo = resolve(import.meta.dirname, '../../..');

/** `vkubelet-stack` as a shell command, run by this Node (the project's, not the system's). */
export const cliCommand = `"${process.execPath}" tools/stack/dist/cli.js`;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StartedStack {
  kubeconfig: string;
  /** Milliseconds from the start command to its KUBECONFIG line. */
  readyAfterMs: number;
  /** The environment a user's shell has after the printed exports: KUBECONFIG, kubectl on PATH. */
  env: NodeJS.ProcessEnv;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** A command line in that shell (bash -c). */
  sh(command: string, timeoutMs?: number): Promise<CommandResult>;
  /** Sends `signal` to the start command and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function sh(command: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise(resolveRun => {
    const options = { cwd: repo, env, timeout: timeoutMs, maxBuffer: 16 << 20 };
    execFile('bash', ['-c', command], options, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `bash tools/scripts/start.sh <args>` as a user would (its own process group, as a shell job)
 * and resolves once it prints `KUBECONFIG=<path>`; rejects with its output if it exits first.
 */
export function runStartCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 300_000,
): Promise<StartedStack> {
  const started = Date.now();
  const child = spawn('bash', ['tools/scripts/start.sh', ...args], {
    cwd: repo,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>(resolveExit => child.once('exit', code => resolveExit(code)));
  const shellEnv = { ...env, PATH: `${dirname(binaryPath('kubectl'))}:${env['PATH'] ?? ''}` };

  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`start.sh ${args.join(' ')} printed no KUBECONFIG line in ${timeoutMs} ms:\n${err}`));
    }, timeoutMs);
    void exited.then(code => {
      clearTimeout(timer);
      reject(new Error(`start.sh ${args.join(' ')} exited ${code} before the KUBECONFIG line:\n${err}`));
    });
    child.stdout.on('data', () => {
      const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(out)?.[1];
      if (!kubeconfig) return;
      clearTimeout(timer);
      const stackEnv = { ...shellEnv, KUBECONFIG: kubeconfig };
      resolveStart({
        kubeconfig,
        readyAfterMs: Date.now() - started,
        env: stackEnv,
        pid: child.pid!,
        stdout: () => out,
        stderr: () => err,
        sh: (command, commandTimeoutMs) => sh(command, stackEnv, commandTimeoutMs),
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** Runs `command` until it exits 0 (kubectl top needs two metrics-server scrapes), at most `timeoutMs`. */
export async function eventually(
  run: () => Promise<CommandResult>,
  timeoutMs: number,
  intervalMs = 2_000,
): Promise<CommandResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await run();
    if (result.code === 0 || Date.now() > deadline) return result;
    await new Promise(resolveWait => setTimeout(resolveWait, intervalMs));
  }
}
