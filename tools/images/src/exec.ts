import { execFile } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long (default: no limit). */
  timeoutMs?: number;
}

/** A command that exited non-zero or could not start; the message ends with the tail of its stderr. */
export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    const tail = stderr.trim().split('\n').slice(-15).join('\n');
    super(
      `${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}${tail ? `:\n${tail}` : ''}`,
      options,
    );
  }
}

/** Runs a command to completion and returns its stdout; throws a CommandError naming it otherwise. */
export function exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 0,
        maxBuffer: 64 << 20,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === 'number' ? error.code : null;
        const shown = [file, ...args].join(' ');
        reject(
          new CommandError(
            shown.length > 300 ? `${shown.slice(0, 300)}…` : shown,
            code,
            stderr || error.message,
            { cause: error },
          ),
        );
      },
    );
  });
}
