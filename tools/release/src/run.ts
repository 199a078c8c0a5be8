import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (the whole process group) after this long; default 5 min. */
  timeoutMs?: number;
}

export interface Running {
  /** Resolves when the command ends; rejects only when it cannot start or outlives the timeout. */
  readonly result: Promise<RunResult>;
  /** Signals the command's process group (npx, its shell and the program it runs). */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts a command in its own process group without blocking the event loop (the registry may be
 * serving it from this process).
 */
export function start(command: string, args: readonly string[], options: RunOptions): Running {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, name);
      } catch {
        // Already gone.
      }
    }
  };
  const timeoutMs = options.timeoutMs ?? 300_000;
  const result = new Promise<RunResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(
        new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.once('error', err => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signalName) => {
      clearTimeout(timer);
      resolve({ code, signal: signalName, stdout, stderr });
    });
  });
  return { result, signal };
}

/** Runs a command to its end (see `start`). */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return start(command, args, options).result;
}

/** Like `run`, but rejects with the output when the command fails. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}
