import { Command, InvalidArgumentError, Option } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS } from '../agent/options.js';
import { LOG_LEVELS, type LogLevel } from '../logging/pino-logger.js';
import { TAINT_EFFECTS } from '../node/node-template.js';
import { parseDuration } from './duration.js';

/** Everything the command line (flags and upstream's environment variables) decides. */
export interface CommandLineConfig {
  kubeconfig: string;
  nodeName: string;
  operatingSystem: 'linux' | 'windows';
  provider: string;
  providerConfig?: string;
  clusterDomain: string;
  nodeIP: string | undefined;
  listenHost: string;
  listenPort: number;
  metricsAddress: { host: string; port: number } | undefined;
  taint: { key: string; value: string; effect: (typeof TAINT_EFFECTS)[number] } | undefined;
  nodeLabels: Record<string, string>;
  podSyncWorkers: number;
  fullResyncPeriodMs: number;
  startupTimeoutMs: number;
  streamIdleTimeoutMs: number;
  streamCreationTimeoutMs: number;
  kubeApiQps: number;
  kubeApiBurst: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  clientCaFile?: string;
  rotateServerCertificates: boolean;
  anonymousAuth: boolean;
  logLevel: LogLevel;
  shutdownGracePeriodMs: number;
}

/** A flag value or environment variable that makes no sense: reported with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const duration = (value: string): number => {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return n;
};

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`not a port number: "${value}"`);
  return n;
};

/** Parses "host:port" (":10255" listens on every interface, as upstream). */
export function parseAddress(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: port(match[2]!) };
}

const labels = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const out = { ...previous };
  for (const pair of value.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
};

/** The `virtual-kubelet` root command's flags, named as upstream's where upstream has them. */
export function defineRootFlags(command: Command, env: NodeJS.ProcessEnv): Command {
  const kubeconfigDefault = env.KUBECONFIG || join(homedir(), '.kube', 'config');
  return command
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file ($KUBECONFIG)').default(kubeconfigDefault))
    .addOption(
      new Option('--nodename <name>', 'name of the Node to register ($DEFAULT_NODE_NAME)').default(
        env.DEFAULT_NODE_NAME || 'virtual-kubelet',
      ),
    )
    .addOption(
      new Option('--os <os>', 'operating system the node reports')
        .choices(['linux', 'windows'])
        .default('linux'),
    )
    .addOption(
      new Option('--provider <name>', 'provider to run pods with (mock, cri, fargate, aci, eci, nomad)'),
    )
    .addOption(new Option('--provider-config <path>', 'provider configuration file'))
    .addOption(
      new Option('--cluster-domain <domain>', 'cluster DNS domain, passed to the provider').default(
        'cluster.local',
      ),
    )
    .addOption(
      new Option('--node-ip <ip>', 'InternalIP the node publishes ($VKUBELET_POD_IP)').default(
        env.VKUBELET_POD_IP,
      ),
    )
    .addOption(
      new Option('--listen-address <host:port>', 'kubelet API listen address ($KUBELET_PORT sets the port)')
        .argParser(parseAddress)
        .default(
          parseAddress(`0.0.0.0:${env.KUBELET_PORT || '10250'}`),
          `0.0.0.0:${env.KUBELET_PORT || '10250'}`,
        ),
    )
    .addOption(
      new Option(
        '--metrics-addr <host:port>',
        'address of the Prometheus metrics endpoint ("" disables)',
      ).default(':10255'),
    )
    .addOption(
      new Option(
        '--taint <key>',
        'key of the taint set on the node (deprecated upstream; $VKUBELET_TAINT_KEY)',
      ),
    )
    .addOption(new Option('--disable-taint', 'register the node without the provider taint').default(false))
    .addOption(
      new Option('--node-labels <key=value,...>', 'extra labels for the Node').argParser(labels).default({}),
    )
    .addOption(
      new Option('--pod-sync-workers <n>', 'concurrent pod sync workers').argParser(positiveInt).default(10),
    )
    .addOption(
      new Option('--full-resync-period <duration>', 'resync period of the caches')
        .argParser(duration)
        .default(60_000, '1m'),
    )
    .addOption(
      new Option('--startup-timeout <duration>', 'fail if not ready within this (0 = wait for ever)')
        .argParser(duration)
        .default(0, '0'),
    )
    .addOption(
      new Option('--stream-idle-timeout <duration>', 'close exec/attach/port-forward streams idle this long')
        .argParser(duration)
        .default(4 * 3_600_000, '4h'),
    )
    .addOption(
      new Option('--stream-creation-timeout <duration>', 'time a client has to open its streams')
        .argParser(duration)
        .default(30_000, '30s'),
    )
    .addOption(
      new Option('--kube-api-qps <n>', 'client-side API request rate')
        .argParser(positiveInt)
        .default(DEFAULT_KUBE_API_QPS),
    )
    .addOption(
      new Option('--kube-api-burst <n>', 'client-side API request burst')
        .argParser(positiveInt)
        .default(DEFAULT_KUBE_API_BURST),
    )
    .addOption(
      new Option('--tls-cert-file <path>', 'serving certificate ($APISERVER_CERT_LOCATION)').default(
        env.APISERVER_CERT_LOCATION,
      ),
    )
    .addOption(
      new Option('--tls-private-key-file <path>', 'serving key ($APISERVER_KEY_LOCATION)').default(
        env.APISERVER_KEY_LOCATION,
      ),
    )
    .addOption(
      new Option(
        '--client-ca-file <path>',
        'CA for client certificates ($APISERVER_CA_CERT_LOCATION)',
      ).default(env.APISERVER_CA_CERT_LOCATION),
    )
    .addOption(
      new Option(
        '--rotate-server-certificates',
        'obtain the serving certificate through a CertificateSigningRequest',
      ).default(false),
    )
    .addOption(
      new Option(
        '--anonymous-auth',
        'allow unauthenticated requests to the kubelet API (development only)',
      ).default(false),
    )
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default('info'))
    .addOption(
      new Option('--shutdown-grace-period <duration>', 'time allowed for a clean shutdown')
        .argParser(duration)
        .default(30_000, '30s'),
    )
    .addOption(new Option('--namespace <ns>', 'ignored (deprecated upstream)').hideHelp())
    .addOption(new Option('--enable-node-lease', 'ignored: the lease is always used').hideHelp());
}

interface RawFlags {
  kubeconfig: string;
  nodename: string;
  os: 'linux' | 'windows';
  provider?: string;
  providerConfig?: string;
  clusterDomain: string;
  nodeIp?: string;
  listenAddress: { host: string; port: number };
  metricsAddr: string;
  taint?: string;
  disableTaint: boolean;
  nodeLabels: Record<string, string>;
  podSyncWorkers: number;
  fullResyncPeriod: number;
  startupTimeout: number;
  streamIdleTimeout: number;
  streamCreationTimeout: number;
  kubeApiQps: number;
  kubeApiBurst: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  rotateServerCertificates: boolean;
  anonymousAuth: boolean;
  logLevel: LogLevel;
  shutdownGracePeriod: number;
}

/** Turns parsed flags plus upstream's VKUBELET_TAINT_* variables into a checked configuration. */
export function toCommandLineConfig(flags: RawFlags, env: NodeJS.ProcessEnv): CommandLineConfig {
  if (!flags.provider) throw new UsageError('--provider is required (for example --provider mock)');
  if (Boolean(flags.tlsCertFile) !== Boolean(flags.tlsPrivateKeyFile)) {
    throw new UsageError('--tls-cert-file and --tls-private-key-file go together');
  }
  const effect = env.VKUBELET_TAINT_EFFECT || 'NoSchedule';
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) {
    throw new UsageError(`VKUBELET_TAINT_EFFECT must be one of ${TAINT_EFFECTS.join(', ')}, got "${effect}"`);
  }
  const taint = flags.disableTaint
    ? undefined
    : {
        key: flags.taint || env.VKUBELET_TAINT_KEY || 'virtual-kubelet.io/provider',
        value: env.VKUBELET_TAINT_VALUE || flags.provider,
        effect: effect as (typeof TAINT_EFFECTS)[number],
      };
  return {
    kubeconfig: flags.kubeconfig,
    nodeName: flags.nodename,
    operatingSystem: flags.os,
    provider: flags.provider,
    providerConfig: flags.providerConfig,
    clusterDomain: flags.clusterDomain,
    nodeIP: flags.nodeIp,
    listenHost: flags.listenAddress.host,
    listenPort: flags.listenAddress.port,
    metricsAddress: flags.metricsAddr === '' ? undefined : parseAddress(flags.metricsAddr),
    taint,
    nodeLabels: flags.nodeLabels,
    podSyncWorkers: flags.podSyncWorkers,
    fullResyncPeriodMs: flags.fullResyncPeriod,
    startupTimeoutMs: flags.startupTimeout,
    streamIdleTimeoutMs: flags.streamIdleTimeout,
    streamCreationTimeoutMs: flags.streamCreationTimeout,
    kubeApiQps: flags.kubeApiQps,
    kubeApiBurst: flags.kubeApiBurst,
    tlsCertFile: flags.tlsCertFile,
    tlsKeyFile: flags.tlsPrivateKeyFile,
    clientCaFile: flags.clientCaFile,
    rotateServerCertificates: flags.rotateServerCertificates,
    anonymousAuth: flags.anonymousAuth,
    logLevel: flags.logLevel,
    shutdownGracePeriodMs: flags.shutdownGracePeriod,
  };
}

/** Parses argv (without node and script) into a configuration; throws UsageError or CommanderError. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): CommandLineConfig {
  const command = defineRootFlags(new Command('virtual-kubelet'), env)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .allowExcessArguments(false);
  command.parse(argv, { from: 'user' });
  return toCommandLineConfig(command.opts<RawFlags>(), env);
}
