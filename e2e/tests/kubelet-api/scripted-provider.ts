import { once } from 'node:events';
import type { Duplex } from 'node:stream';

import {
  END_OF_HISTORY,
  NotFoundError,
  type AttachIO,
  type CallOptions,
  type ContainerLogOptions,
  type LogEntry,
  type LogItem,
  type PodRef,
  type Provider,
  type StatsSummary,
} from '@vkubelet/provider-kit';

const unused = (): Promise<never> => Promise.reject(new Error('not used by the kubelet API e2e'));

/** Resolves when `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  signal.aborted ? Promise.resolve() : once(signal, 'abort').then(() => undefined);

/** Everything a test wants to see about one exec session. */
export interface ExecRecord {
  command: string[];
  tty: boolean;
  signal: AbortSignal;
  ended: Promise<void>;
}

/**
 * A small provider for the kubelet API e2e: a log with known history and lines appended on demand,
 * a few exec commands (`cat`, `echo`, `tty`, `sh -c 'exit N'`, `sleep infinity`), attach that
 * upper-cases stdin, a port-forward echo and a fixed stats summary. Lifecycle calls are unused (the
 * test binds and patches its pod itself).
 */
export class ScriptedProvider implements Provider {
  readonly history: LogEntry[];
  readonly execs: ExecRecord[] = [];
  readonly followSignals: AbortSignal[] = [];
  readonly forwardedPorts: number[] = [];
  private readonly live: LogEntry[] = [];
  private wake: (() => void) | undefined;

  constructor(now = Date.now()) {
    this.history = [
      { time: new Date(now - 300_000), text: 'old-1' },
      { time: new Date(now - 100_000), text: 'old-2' },
      { time: new Date(now - 10_000), text: 'recent-1' },
      { time: new Date(now - 5_000), text: 'recent-2' },
    ];
  }

  createPod = unused;
  updatePod = unused;
  deletePod = unused;
  getPod = unused;
  getPodStatus = unused;
  getPods = () => Promise.resolve([]);

  /** A new line for followers (and later readers). */
  appendLog(text: string): void {
    this.live.push({ time: new Date(), text });
    this.wake?.();
  }

  getContainerLogs(
    pod: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    if (container !== 'main')
      return Promise.reject(new NotFoundError(`container ${container} not found in ${pod.name}`));
    if (options.follow) this.followSignals.push(options.signal);
    return Promise.resolve(this.read(options));
  }

  private async *read(options: ContainerLogOptions & CallOptions): AsyncGenerator<LogItem> {
    yield* [...this.history, ...this.live];
    if (!options.follow) return;
    yield END_OF_HISTORY;
    let sent = this.live.length;
    while (!options.signal.aborted) {
      while (sent < this.live.length) {
        const entry = this.live[sent++];
        if (entry) yield entry;
      }
      await Promise.race([new Promise<void>(r => (this.wake = r)), aborted(options.signal)]);
    }
  }

  async runInContainer(
    _pod: PodRef,
    _container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number> {
    let end = (): void => undefined;
    this.execs.push({ command, tty: io.tty, signal: options.signal, ended: new Promise(r => (end = r)) });
    try {
      return await this.run(command, io, options.signal);
    } finally {
      end();
    }
  }

  private async run(command: string[], io: AttachIO, signal: AbortSignal): Promise<number> {
    const [name, ...args] = command;
    switch (name) {
      case 'cat':
        if (io.stdin && io.stdout) {
          for await (const chunk of io.stdin) io.stdout.write(chunk as Buffer);
        }
        return 0;
      case 'echo':
        io.stdout?.write(`${args.join(' ')}\n`);
        return 0;
      case 'tty':
        io.stdout?.write(io.tty ? 'a tty\n' : 'not a tty\n');
        return io.tty ? 0 : 1;
      case 'sh': {
        const exit = /^exit (\d+)$/.exec(args[1] ?? '');
        if (args[0] === '-c' && exit) return Number(exit[1]);
        break;
      }
      case 'sleep':
        await aborted(signal);
        return 137;
    }
    io.stderr?.write(`${name ?? ''}: command not found\n`);
    return 127;
  }

  async attachToContainer(
    _pod: PodRef,
    _container: string,
    io: AttachIO,
    options: CallOptions,
  ): Promise<void> {
    io.stdout?.write('attached\n');
    if (!io.stdin) return aborted(options.signal);
    for await (const chunk of io.stdin) io.stdout?.write((chunk as Buffer).toString('utf8').toUpperCase());
  }

  async portForward(_pod: PodRef, port: number, stream: Duplex, options: CallOptions): Promise<void> {
    this.forwardedPorts.push(port);
    stream.pipe(stream);
    await Promise.race([once(stream, 'end'), once(stream, 'close'), aborted(options.signal)]).catch(
      () => undefined,
    );
    stream.end();
  }

  getStatsSummary(): Promise<StatsSummary> {
    const time = new Date().toISOString();
    return Promise.resolve({
      node: {
        nodeName: 'vk-e2e',
        startTime: time,
        cpu: { time, usageCoreNanoSeconds: 3e9 },
        memory: { time, workingSetBytes: 4096 },
      },
      pods: [
        {
          podRef: { name: 'app', namespace: 'default', uid: 'x' },
          startTime: time,
          cpu: { time, usageCoreNanoSeconds: 1e9 },
          memory: { time, workingSetBytes: 2048 },
          containers: [
            {
              name: 'main',
              startTime: time,
              cpu: { time, usageCoreNanoSeconds: 1e9 },
              memory: { time, workingSetBytes: 2048 },
            },
          ],
        },
      ],
    });
  }
}
