import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Values substituted for `{name}` placeholders in an agent command. */
export interface AgentPlaceholders {
  kubeconfig: string;
  node: string;
  ca: string;
  providerConfig: string;
  metricsPort: string;
  /** A serving certificate and key for the agent's kubelet API (PEM files). */
  tlsCert: string;
  tlsKey: string;
}

/** vkubelet's own command, built from this repository, with the mock provider. */
export const DEFAULT_AGENT_COMMAND = [
  process.execPath,
  fileURLToPath(new URL('../../../packages/core/dist/cli/main.js', import.meta.url)),
  '--provider=mock',
  '--nodename={node}',
  '--kubeconfig={kubeconfig}',
  '--provider-config={providerConfig}',
  '--client-ca-file={ca}',
  '--tls-cert-file={tlsCert}',
  '--tls-private-key-file={tlsKey}',
  '--listen-address=127.0.0.1:0',
  '--metrics-addr=127.0.0.1:{metricsPort}',
  '--node-ip=127.0.0.1',
  '--log-level=warn',
].join(' ');

/** Splits a command line on spaces (quotes are not needed by the placeholders) and fills it in. */
export function expandCommand(template: string, values: AgentPlaceholders): string[] {
  return template
    .trim()
    .split(/\s+/)
    .map(word =>
      word.replace(/\{(\w+)\}/g, (whole, key: string) =>
        key in values ? values[key as keyof AgentPlaceholders] : whole,
      ),
    );
}

export interface AgentProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Starts the agent with its output appended to `logPath`; stop() sends SIGTERM, then SIGKILL after
 * 10 s; kill() is SIGKILL at once (a crash).
 */
export function startAgent(argv: string[], logPath: string, env?: Record<string, string>): AgentProcess {
  const [command, ...args] = argv;
  if (!command) throw new Error('empty agent command');
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ? { ...process.env, ...env } : process.env,
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return {
    pid: child.pid,
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
