import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errdefs/error-message.js';

/**
 * A tiny shell the mock "runs" in its containers, so the workloads conformance uses on real backends
 * (busybox `sh -c 'echo a; sleep 1; exit 3'`) behave the same in the mock. It understands a sequence
 * of commands separated by `;`, `&&`, `||` or newlines: `echo [-n] ARGS [>&2]`, `exit N`, `sleep SECONDS`,
 * `env`, `cat`, `yes [WORD]`, `true`, `false`, `mock-stream BYTES`, and `sh -c SCRIPT [NAME ARGS...]` (a
 * child shell: its `exit` ends it only), with `$?`, `$VAR`, the positional `$0`-`$9` and `"$@"` (each
 * argument a word, as exec wrappers use it) expanded. Anything else fails with 127, as a shell
 * reports a missing command.
 */
export interface Statement {
  argv: string[];
  toStderr: boolean;
  /** `;` runs always, `&&` only after success, `||` only after failure. */
  when?: 'always' | 'ifOk' | 'ifFailed';
}

/** Where a running script writes and reads. `write` resolves when the sink wants more (backpressure). */
export interface ScriptIO {
  write(text: string, stream: 'stdout' | 'stderr'): void | Promise<void>;
  stdin?: AsyncIterable<Buffer | string>;
  env: ReadonlyArray<readonly [string, string]>;
  signal: AbortSignal;
  /** `$0` and the arguments of `sh -c SCRIPT NAME ARGS...` (see `shellArguments`). */
  positional?: readonly string[];
}

const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash', 'ash', '/bin/ash']);

/** Splits a shell line into words, honouring single and double quotes and backslash escapes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(current);
  return words;
}

/** Splits a script on `;`, `&&`, `||` and newlines outside quotes, keeping each part's connector. */
function splitStatements(script: string): Array<{ text: string; when: Statement['when'] }> {
  const parts: Array<{ text: string; when: Statement['when'] }> = [];
  let current = '';
  let when: Statement['when'] = 'always';
  let quote: string | undefined;
  const push = (next: Statement['when']) => {
    parts.push({ text: current.trim(), when });
    current = '';
    when = next;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    const pair = script.slice(i, i + 2);
    if (ch === '\\' && quote !== "'" && i + 1 < script.length) {
      // An escaped character (`\'` between single-quoted parts, `\;`) neither quotes nor separates.
      current += pair;
      i++;
    } else if (quote) {
      if (ch === quote) quote = undefined;
      current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (pair === '&&' || pair === '||') {
      i++;
      push(pair === '&&' ? 'ifOk' : 'ifFailed');
    } else if (ch === ';' || ch === '\n') {
      push('always');
    } else {
      current += ch;
    }
  }
  push('always');
  return parts.filter(part => part.text.length > 0);
}

/** `$0` and the positional arguments of `sh -c SCRIPT NAME ARGS...`: `[NAME, ...ARGS]` (none otherwise). */
export function shellArguments(command: readonly string[]): string[] {
  const [program, flag] = command;
  return program !== undefined && SHELLS.has(program) && flag === '-c' ? command.slice(3) : [];
}

/** Turns a container command (argv) into statements; `sh -c SCRIPT` is parsed as a script. */
export function parseCommand(command: readonly string[]): Statement[] {
  const [program, flag, script] = command;
  const isScript = program !== undefined && SHELLS.has(program) && flag === '-c';
  const parts = isScript
    ? splitStatements(script ?? '').map(part => ({ argv: shellWords(part.text), when: part.when }))
    : [{ argv: [...command], when: 'always' as const }];
  return parts
    .filter(part => part.argv.length > 0)
    .map(({ argv, when }) => {
      const redirect = argv.findIndex(word => word === '>&2' || word === '1>&2');
      if (redirect < 0) return { argv, toStderr: false, when };
      return { argv: argv.filter((_, index) => index !== redirect), toStderr: true, when };
    });
}

const YES_CHUNK_LINES = 1024;
/**
 * A sink that never pushes back resolves every write at once; generators then yield to the event
 * loop every few chunks so timers (and the abort they trigger) still run.
 */
const YIELD_EVERY = 16;
const yieldToEventLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/** Runs statements in order; resolves with the exit status (that of `exit`, or of the last command). */
export async function runScript(statements: readonly Statement[], io: ScriptIO): Promise<number> {
  return (await runStatements(statements, io, 0)).status;
}

/** Runs statements after a command that ended with `previous`; says whether `exit` ran. */
async function runStatements(
  statements: readonly Statement[],
  io: ScriptIO,
  previous: number,
): Promise<{ status: number; exited: boolean }> {
  let status = previous;
  for (const { argv, toStderr, when = 'always' } of statements) {
    io.signal.throwIfAborted();
    if ((when === 'ifOk' && status !== 0) || (when === 'ifFailed' && status === 0)) continue;
    const positional = io.positional ?? [];
    const [name = '', ...args] = argv.flatMap(word =>
      word === '$@' ? positional.slice(1) : [expandParameters(word, status, io.env, positional)],
    );
    const out = toStderr ? 'stderr' : 'stdout';
    if (SHELLS.has(name) && args[0] === '-c') {
      // A child shell: `exit` in its script ends it, not this one.
      const child = [name, ...args];
      status = await runScript(parseCommand(child), { ...io, positional: shellArguments(child) });
      continue;
    }
    switch (name) {
      case 'echo': {
        const noNewline = args[0] === '-n';
        const text = (noNewline ? args.slice(1) : args).join(' ');
        await io.write(noNewline ? text : `${text}\n`, out);
        status = 0;
        break;
      }
      case 'exit':
        return { status: parseExitCode(args[0] ?? String(status)), exited: true };
      case 'true':
      case ':':
        status = 0;
        break;
      case 'false':
        status = 1;
        break;
      case 'sleep':
        await sleepFor(args[0], io.signal);
        status = 0;
        break;
      case 'env':
        for (const [key, value] of io.env) await io.write(`${key}=${value}\n`, out);
        status = 0;
        break;
      case 'cat':
        if (args.length > 0) {
          // The mock has no files: every one named is missing, as it would be to a real cat.
          for (const file of args) await io.write(`cat: ${file}: No such file or directory\n`, 'stderr');
          status = 1;
          break;
        }
        if (io.stdin) {
          for await (const chunk of io.stdin) await io.write(chunk.toString(), out);
        } else {
          // A main process whose stdin stays open: it waits until the container is stopped.
          await sleep(2 ** 31 - 1, undefined, { signal: io.signal });
        }
        status = 0;
        break;
      case 'yes': {
        const chunk = `${args.join(' ') || 'y'}\n`.repeat(YES_CHUNK_LINES);
        for (let written = 1; ; written++) {
          io.signal.throwIfAborted();
          await io.write(chunk, out);
          if (written % YIELD_EVERY === 0) await yieldToEventLoop();
        }
      }
      case 'mock-stream': {
        status = await streamBytes(Number(args[0]), io, out);
        break;
      }
      default:
        if (SHELLS.has(name) && args[0] === '-c') {
          // A child shell: its `exit` ends it, not the script that started it.
          status = (await runStatements(parseCommand([name, ...args]), io, status)).status;
          break;
        }
        await io.write(`sh: ${name}: not found\n`, 'stderr');
        status = 127;
    }
  }
  return { status, exited: false };
}

/**
 * Expands `$?` (the last command's status), `$0`-`$9` (the positional arguments) and `$NAME` /
 * `${NAME}` (the container's environment, empty when unset) in a word, as sh does for unquoted and double-quoted words. Quotes are gone by now, so
 * single-quoted text is expanded too: the mock's workloads never rely on the difference.
 */
function expandParameters(
  word: string,
  status: number,
  env: ScriptIO['env'],
  positional: readonly string[],
): string {
  if (!word.includes('$')) return word;
  return word.replace(
    /\$(\?|[0-9]|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_, all, braced, bare) => {
      if (all === '?') return String(status);
      if (/^[0-9]$/.test(all as string)) return positional[Number(all)] ?? '';
      const name = (braced ?? bare) as string;
      return env.findLast(([key]) => key === name)?.[1] ?? '';
    },
  );
}

function parseExitCode(text: string): number {
  const code = Number(text);
  return Number.isInteger(code) ? ((code % 256) + 256) % 256 : 2;
}

async function sleepFor(seconds: string | undefined, signal: AbortSignal): Promise<void> {
  const value = seconds === 'infinity' ? Infinity : Number(seconds);
  if (!Number.isFinite(value) && value !== Infinity)
    throw new Error(`sleep: invalid time interval '${seconds}'`);
  // Node timers hold at most ~24.8 days; "infinity" waits in slices of that.
  let remainingMs = value * 1000;
  while (remainingMs > 0) {
    const slice = Math.min(remainingMs, 2 ** 31 - 1);
    await sleep(slice, undefined, { signal });
    remainingMs -= slice;
  }
}

const STREAM_CHUNK = Buffer.alloc(64 * 1024, 'x').toString();

/** Writes exactly `bytes` bytes of `x` (a bounded generator for throughput benchmarks). */
async function streamBytes(bytes: number, io: ScriptIO, out: 'stdout' | 'stderr'): Promise<number> {
  if (!Number.isInteger(bytes) || bytes < 0) {
    await io.write('mock-stream: BYTES must be a non-negative integer\n', 'stderr');
    return 2;
  }
  for (let left = bytes, written = 1; left > 0; left -= STREAM_CHUNK.length, written++) {
    io.signal.throwIfAborted();
    await io.write(left >= STREAM_CHUNK.length ? STREAM_CHUNK : STREAM_CHUNK.slice(0, left), out);
    if (written % YIELD_EVERY === 0) await yieldToEventLoop();
  }
  return 0;
}

/** Bytes a terminal sends for the keys an interactive shell reacts to. */
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = new Set([0x08, 0x7f]);

type ShellInput = { kind: 'line'; text: string } | { kind: 'eof' };

/**
 * An interactive shell on the mock's statements (`kubectl exec -it <pod> -- sh`): reads commands
 * line by line, runs each, and ends on `exit [N]` or at the end of input (Ctrl-D on an empty line
 * with a terminal), with the status of the last command, as sh does. With `tty` it also does what
 * the terminal's line discipline would: echoes what is typed, erases on backspace, writes `\r\n`
 * for newlines and prints a prompt; Ctrl-C interrupts the running command (status 130) or drops
 * the line being typed, never the session. Commands get no stdin: the shell itself reads it.
 */
export async function runShell(io: ScriptIO, options: { tty: boolean }): Promise<number> {
  const { tty } = options;
  const write = (text: string, stream: 'stdout' | 'stderr') =>
    io.write(tty ? text.replace(/\r?\n/g, '\r\n') : text, stream);
  const prompt = tty ? '# ' : '';
  const lines: ShellInput[] = [];
  let wake: (() => void) | undefined;
  let command: AbortController | undefined;
  const push = (input: ShellInput) => {
    lines.push(input);
    wake?.();
  };
  const echo = (text: string) => void Promise.resolve(write(text, 'stdout')).catch(() => undefined);

  void (async () => {
    let typed = '';
    let afterCarriageReturn = false;
    for await (const chunk of io.stdin ?? []) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (!tty) {
        typed += bytes.toString('utf8');
        for (let newline = typed.indexOf('\n'); newline !== -1; newline = typed.indexOf('\n')) {
          push({ kind: 'line', text: typed.slice(0, newline) });
          typed = typed.slice(newline + 1);
        }
        continue;
      }
      for (const byte of bytes) {
        // A terminal client's Enter may arrive as CR LF: one line, not a line and an empty one.
        const lineFeedOfEnter = byte === 0x0a && afterCarriageReturn;
        afterCarriageReturn = byte === 0x0d;
        if (lineFeedOfEnter) continue;
        if (byte === CTRL_C) {
          echo('^C\n');
          if (command) command.abort(new Error('interrupted'));
          else echo(prompt);
          typed = '';
        } else if (byte === CTRL_D) {
          if (typed === '' && !command) push({ kind: 'eof' });
        } else if (BACKSPACE.has(byte)) {
          if (typed.length > 0) {
            typed = typed.slice(0, -1);
            echo('\b \b');
          }
        } else if (byte === 0x0d || byte === 0x0a) {
          echo('\n');
          push({ kind: 'line', text: typed });
          typed = '';
        } else if (byte >= 0x20) {
          typed += String.fromCharCode(byte);
          echo(String.fromCharCode(byte));
        }
      }
    }
    if (typed !== '') push({ kind: 'line', text: typed });
    push({ kind: 'eof' });
  })().catch(() => push({ kind: 'eof' }));

  const next = (): Promise<ShellInput> => {
    const queued = lines.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        wake = undefined;
        reject(io.signal.reason as Error);
      };
      if (io.signal.aborted) return onAbort();
      io.signal.addEventListener('abort', onAbort, { once: true });
      wake = () => {
        io.signal.removeEventListener('abort', onAbort);
        wake = undefined;
        resolve(lines.shift()!);
      };
    });
  };

  let status = 0;
  for (;;) {
    if (prompt) await write(prompt, 'stdout');
    const input = await next();
    if (input.kind === 'eof') {
      if (tty) await write('exit\n', 'stdout');
      return status;
    }
    let statements: Statement[];
    try {
      statements = parseCommand(['sh', '-c', input.text]);
    } catch (err) {
      await write(`sh: syntax error: ${errorMessage(err)}\n`, 'stderr');
      status = 2;
      continue;
    }
    command = new AbortController();
    const signal = AbortSignal.any([io.signal, command.signal]);
    try {
      const result = await runStatements(statements, { env: io.env, signal, write }, status);
      if (result.exited) return result.status;
      status = result.status;
    } catch (err) {
      io.signal.throwIfAborted();
      if (!command.signal.aborted) {
        await write(`sh: ${errorMessage(err)}\n`, 'stderr');
        status = 2;
      } else {
        status = 130;
      }
    } finally {
      command = undefined;
    }
  }
}
