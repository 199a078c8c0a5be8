import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { FaultProxy } from './proxy/fault-proxy.js';
import type { Rng } from './random.js';

/** vkubelet's command, built from this repository. */
const CLI = fileURLToPath(new URL('../../../packages/core/dist/cli/main.js', import.meta.url));

export interface AgentSlotOptions {
  /** Name in logs and in the backend's record (a1, a2, ...). */
  name: string;
  nodeName: string;
  /** Kubeconfig pointing at this slot's fault proxy. */
  kubeconfig: string;
  proxy: FaultProxy;
  /** Provider flags from the soak backend. */
  providerArgs: string[];
  /** More flags (leader election, timings). */
  extraArgs: string[];
  logPath: string;
  /** Restart delay after an unplanned exit: uniform in [min, max] ms. */
  restartDelayMs: { min: number; max: number };
  rng: Rng;
  log: (line: string) => void;
}

/**
 * One agent process, kept running as a supervisor (systemd, a Deployment) would: whatever ends it
 * (a SIGKILL from the soak, a crash point in the provider, a lost leader lease), it is started again
 * after a random delay, until `stop()`. Every incarnation appends to the same log.
 */
export class AgentSlot {
  readonly name: string;
  readonly proxy: FaultProxy;
  /** Exits seen, by how the process ended (`signal SIGKILL`, `code 1`, ...). */
  readonly exits = new Map<string, number>();
  incarnations = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private supervising = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly log: WriteStream;

  constructor(private readonly options: AgentSlotOptions) {
    this.name = options.name;
    this.proxy = options.proxy;
    this.log = createWriteStream(options.logPath, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Starts the process and keeps it running until stop(). */
  start(): void {
    this.supervising = true;
    this.spawn();
  }

  /** SIGKILL now; the supervisor starts it again after a random delay. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Ends supervision and the process (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.supervising = false;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && this.running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>(resolve => this.log.end(resolve));
  }

  private spawn(): void {
    const { options } = this;
    this.incarnations += 1;
    const argv = [
      CLI,
      ...options.providerArgs,
      `--nodename=${options.nodeName}`,
      `--kubeconfig=${options.kubeconfig}`,
      '--listen-address=127.0.0.1:0',
      '--metrics-addr=',
      '--node-ip=127.0.0.1',
      '--log-level=info',
      ...options.extraArgs,
    ];
    this.log.write(`--- ${new Date().toISOString()} incarnation ${this.incarnations}\n`);
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    this.child = child;
    this.exited = new Promise(resolve =>
      child.once('exit', (code, signal) => {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        this.exits.set(how, (this.exits.get(how) ?? 0) + 1);
        if (this.supervising) {
          const delay = Math.round(
            options.rng.between(options.restartDelayMs.min, options.restartDelayMs.max),
          );
          options.log(`agent ${this.name} ended (${how}); starting it again in ${delay} ms`);
          this.restartTimer = setTimeout(() => {
            if (this.supervising) this.spawn();
          }, delay);
        }
        resolve();
      }),
    );
  }
}
