// Runs a backend emulator's CLI (tools/<name>-emulator/dist/cli.js) as a child process: every
// emulator prints one JSON line with what a client needs, then serves until SIGTERM.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startProcess, tailFile, type ManagedProcess } from '@vkubelet/testenv';

import { repoRoot } from '../paths.js';
import type { BackendContext } from './entry.js';

export interface RunningEmulator<Connection> {
  /** The JSON line the emulator printed. */
  readonly connection: Connection;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** The first line of `text` that is a JSON object, or undefined. */
export function firstJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return value as Record<string, unknown>;
      }
    } catch {
      // A log line that happens to start with "{": keep looking.
    }
  }
  return undefined;
}

/**
 * Starts `node <repo>/<cli> ...args` with its output in `<logsDir>/<name>.log` and waits for its
 * JSON line. Fails with the log's tail when the emulator exits first or prints nothing in time.
 */
export async function startEmulatorCli<Connection>(
  context: BackendContext,
  name: string,
  cli: string,
  args: readonly string[] = [],
  timeoutMs = 60_000,
): Promise<RunningEmulator<Connection>> {
  const logPath = join(context.logsDir, `${name}.log`);
  const proc = startProcess(name, process.execPath, [join(repoRoot, cli), ...args], logPath);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connection = firstJsonLine(readLog(logPath));
    if (connection) {
      return { connection: connection as Connection, process: proc, stop: () => proc.stop(5_000) };
    }
    const status = proc.exitStatus();
    if (status || Date.now() > deadline) {
      await proc.stop(0);
      const why = status
        ? `exited (${status.signal ?? `code ${status.code}`})`
        : `printed nothing in ${timeoutMs} ms`;
      throw new Error(`${name} ${why}:\n${tailFile(logPath, 20)}`);
    }
    await Promise.race([sleep(100), proc.exited]);
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
