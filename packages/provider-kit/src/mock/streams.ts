import type { Duplex, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

import { InvalidInputError, NotFoundError } from '../errdefs/index.js';
import type { AttachIO, PodRef } from '../provider.js';
import type { PortBehaviour } from './options.js';
import type { ContainerRun, PodRuntime } from './pod-runtime.js';
import { parseCommand, runScript, runShell, shellArguments, type ScriptIO } from './script.js';

/** Writes `text`, waiting for `drain` when the stream is full; rejects once the stream is gone. */
export async function writeWithBackpressure(
  stream: Writable,
  text: string,
  signal: AbortSignal,
): Promise<void> {
  if (stream.destroyed || stream.writableEnded) throw new Error('output stream closed');
  if (stream.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('output stream closed'));
    const onAbort = () => settle(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The container a streaming call names, which must exist; `running` also requires it to run. */
export function findContainer(
  runtime: PodRuntime | undefined,
  ref: PodRef,
  name: string,
  running: boolean,
): ContainerRun {
  if (!runtime || (ref.uid !== undefined && ref.uid !== runtime.uid)) {
    throw new NotFoundError(`pod ${ref.namespace}/${ref.name} not found`);
  }
  const run = runtime.containers.get(name);
  if (!run) throw new NotFoundError(`container ${name} not found in pod ${ref.namespace}/${ref.name}`);
  if (running && !run.state.running) {
    throw new InvalidInputError(`container ${name} in pod ${ref.namespace}/${ref.name} is not running`);
  }
  return run;
}

const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash', 'ash', '/bin/ash']);

/** `sh`, `bash -il` and the like: a shell with no script to run, which reads commands from stdin. */
function isInteractiveShell(command: readonly string[]): boolean {
  const [program, ...flags] = command;
  return SHELLS.has(program ?? '') && flags.every(flag => /^-[a-z]+$/.test(flag) && !flag.includes('c'));
}

/**
 * Exec: runs `command` through the mock shell with the session's streams. A lone shell is an
 * interactive session (see runShell): commands line by line until `exit` or the end of stdin.
 */
export async function execInContainer(
  run: ContainerRun,
  command: string[],
  io: AttachIO,
  signal: AbortSignal,
): Promise<number> {
  if (command.length === 0) throw new InvalidInputError('exec needs a command');
  const env: Array<[string, string]> = (run.spec.env ?? []).map(variable => [
    variable.name,
    variable.value ?? '',
  ]);
  const scriptIO: ScriptIO = {
    env,
    signal,
    ...(io.stdin ? { stdin: io.stdin as AsyncIterable<Buffer> } : { stdin: emptyInput() }),
    write: async (text, stream) => {
      // With a tty the runtime merges stderr into the terminal.
      const target = stream === 'stderr' && !io.tty ? io.stderr : io.stdout;
      if (target) await writeWithBackpressure(target, text, signal);
    },
  };
  if (isInteractiveShell(command)) return runShell(scriptIO, { tty: io.tty });
  return runScript(parseCommand(command), { ...scriptIO, positional: shellArguments(command) });
}

async function* emptyInput(): AsyncGenerator<Buffer> {}

/**
 * Attach: streams the lines the container writes from now on, and feeds stdin to the container,
 * whose main process echoes it (to the terminal with a tty, into its log otherwise). Ends when the
 * container's run ends or `signal` aborts.
 */
export async function attachToRun(run: ContainerRun, io: AttachIO, signal: AbortSignal): Promise<void> {
  const log = run.logs.at(-1);
  if (!log) throw new InvalidInputError(`container ${run.spec.name} has not started`);
  // Stdin is pumped alongside; it ends with the session because both stop on `signal`.
  void (async () => {
    if (!io.stdin) return;
    for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
      if (signal.aborted) return;
      if (io.tty && io.stdout) await writeWithBackpressure(io.stdout, chunk.toString(), signal);
      else log.write(chunk.toString());
    }
  })().catch(() => undefined);
  for await (const entry of log.readFrom(log.lineCount, signal)) {
    const target = entry.stream === 'stderr' && !io.tty ? io.stderr : io.stdout;
    if (target) await writeWithBackpressure(target, `${entry.text}\n`, signal);
  }
}

/** Port-forward: serves one connection to `port` as that port's behaviour says. */
export async function serveForwardedPort(
  ref: PodRef,
  port: number,
  behaviour: PortBehaviour,
  stream: Duplex,
  signal: AbortSignal,
): Promise<void> {
  const onAbort = () => stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (behaviour === 'close') {
      stream.resume(); // discard what the client sends, as a closed socket would
      stream.end();
    } else if (behaviour === 'echo') {
      stream.on('data', (chunk: Buffer) => stream.write(chunk));
      stream.on('end', () => stream.end());
    } else {
      serveHttp(ref, port, stream);
    }
    await finished(stream).catch(() => undefined);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function serveHttp(ref: PodRef, port: number, stream: Duplex): void {
  let request = '';
  const onData = (chunk: Buffer) => {
    request += chunk.toString('latin1');
    if (!request.includes('\r\n\r\n')) return;
    stream.off('data', onData);
    const body = `mock pod ${ref.namespace}/${ref.name} port ${port}\n`;
    stream.end(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };
  stream.on('data', onData);
  stream.on('end', () => stream.end());
}
