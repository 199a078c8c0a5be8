import { Command, InvalidArgumentError, Option } from 'commander';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '@vkubelet/provider-kit';

import { DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS } from '../agent/options.js';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  validateTimings,
} from '../leader/leader-elector.js';
import { LEASE_NAMESPACE } from '../node/lease-controller.js';
import { LOG_LEVELS, type LogLevel } from '../logging/pino-logger.js';
import { TAINT_EFFECTS } from '../node/node-template.js';
import { isDnsLabel, isDnsSubdomain, isLabelValue, isQualifiedName } from '../util/names.js';
import type { TracingConfig } from '../tracing/config.js';
import { parseDuration } from './duration.js';
import { traceExporter, traceSampleRate, tracingConfig, traceTag, type TraceFlags } from './trace-flags.js';
import { UsageError } from './usage-error.js';

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
  /** The node's taint; its value defaults to the provider's name (known once it is loaded). */
  taint: { key: string; value?: string; effect: (typeof TAINT_EFFECTS)[number] } | undefined;
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
  /** OpenTelemetry tracing; undefined when it is off. */
  tracing: TracingConfig | undefined;
  providerCallTimeoutMs: number;
  /** Set with --leader-elect: several agents for one node, one of them active. */
  leaderElection: LeaderElectionConfig | undefined;
}

export interface LeaderElectionConfig {
  leaseName: string;
  leaseNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export { UsageError } from './usage-error.js';

const duration = (value: string): number => {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
};

const positiveDuration = (value: string): number => {
  const ms = duration(value);
  if (ms <= 0) throw new InvalidArgumentError(`must be longer than 0, got "${value}"`);
  return ms;
};

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return n;
};

const port = (value: string): number => {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`not a port number (0-65535): "${value}"`);
  return n;
};

/**
 * Parses "host:port" (":10255" listens on every interface, as upstream). The host must be an IP
 * address (IPv6 in brackets), `localhost` or empty.
 */
export function parseAddress(value: string): { host: string; port: number } {
  const match = /^(.*):([^:\]]*)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  const bracketed = /^\[(.*)\]$/.exec(match[1]!);
  const host = bracketed ? bracketed[1]! : match[1]!;
  if (host !== '' && host !== 'localhost' && isIP(host) === 0) {
    throw new InvalidArgumentError(`"${host}" is not an IP address (in "${value}")`);
  }
  if (!bracketed && isIP(host) === 6) {
    throw new InvalidArgumentError(`put an IPv6 address in brackets: "[${host}]:${match[2]}"`);
  }
  return { host: host === '' ? '0.0.0.0' : host, port: port(match[2]!) };
}

/** `--metrics-addr`: an address, or "" for none (false: commander turns undefined into ""). */
const optionalAddress = (value: string): { host: string; port: number } | false =>
  value === '' ? false : parseAddress(value);

const taintKey = (value: string): string => {
  if (!isQualifiedName(value)) throw new InvalidArgumentError(`"${value}" is not a valid taint key`);
  return value;
};

const labels = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const out = { ...previous };
  for (const pair of value.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${pair}"`);
    const [key, labelValue] = [pair.slice(0, eq), pair.slice(eq + 1)];
    if (!isQualifiedName(key)) throw new InvalidArgumentError(`"${key}" is not a valid label key`);
    if (!isLabelValue(labelValue)) {
      throw new InvalidArgumentError(
        `"${labelValue}" is not a valid label value (at most 63 letters, digits, "-", "_" or ".")`,
      );
    }
    out[key] = labelValue;
  }
  return out;
};

/** The `virtual-kubelet` root command's flags, named as upstream's where upstream has them. */
export function defineRootFlags(command: Command, env: NodeJS.ProcessEnv): Command {
  const kubeconfigDefault = env.KUBECONFIG || join(homedir(), '.kube', 'config');
  return command
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file ($KUBECONFIG)').default(kubeconfigDefault))
    .addOption(
      new Option(
        '--nodename <name>',
        'name of the Node to register ($DEFAULT_NODE_NAME, default "virtual-kubelet")',
      ),
    )
    .addOption(
      new Option('--os <os>', 'operating system the node reports')
        .choices(['linux', 'windows'])
        .default('linux'),
    )
    .addOption(
      new Option(
        '--provider <name>',
        'provider to run pods with: a name (mock, cri, fargate, ...), a package or a .js/.mjs file',
      ),
    )
    .addOption(new Option('--provider-config <path>', 'provider configuration file'))
    .addOption(
      new Option('--cluster-domain <domain>', 'cluster DNS domain, passed to the provider').default(
        'cluster.local',
      ),
    )
    .addOption(
      new Option(
        '--node-ip <ip>',
        'InternalIP the node publishes ($VKUBELET_POD_IP, default the first non-loopback IPv4)',
      ),
    )
    .addOption(
      new Option(
        '--listen-address <host:port>',
        'kubelet API listen address (default 0.0.0.0:10250; $KUBELET_PORT sets the port)',
      ).argParser(parseAddress),
    )
    .addOption(
      new Option('--metrics-addr <host:port>', 'address of the Prometheus metrics endpoint ("" disables)')
        .argParser(optionalAddress)
        .default(optionalAddress(':10255'), ':10255'),
    )
    .addOption(
      new Option(
        '--taint <key>',
        'key of the taint set on the node (deprecated upstream; $VKUBELET_TAINT_KEY)',
      ).argParser(taintKey),
    )
    .addOption(new Option('--disable-taint', 'register the node without the provider taint').default(false))
    .addOption(
      new Option('--node-labels <key=value,...>', 'extra labels for the Node').argParser(labels).default({}),
    )
    .addOption(
      new Option('--pod-sync-workers <n>', 'concurrent pod sync workers').argParser(positiveInt).default(10),
    )
    .addOption(
      new Option(
        '--full-resync-period <duration>',
        "how often the provider's pods are checked against the API server's (0 = at start-up only)",
      )
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
        .argParser(positiveDuration)
        .default(4 * 3_600_000, '4h'),
    )
    .addOption(
      new Option('--stream-creation-timeout <duration>', 'time a client has to open its streams')
        .argParser(positiveDuration)
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
    .addOption(new Option('--tls-cert-file <path>', 'serving certificate ($APISERVER_CERT_LOCATION)'))
    .addOption(new Option('--tls-private-key-file <path>', 'serving key ($APISERVER_KEY_LOCATION)'))
    .addOption(
      new Option('--client-ca-file <path>', 'CA for client certificates ($APISERVER_CA_CERT_LOCATION)'),
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
      new Option(
        '--shutdown-grace-period <duration>',
        'time a stop may take; what has not stopped by then is abandoned (a second signal: at once)',
      )
        .argParser(duration)
        .default(30_000, '30s'),
    )
    .addOption(
      new Option(
        '--trace-exporter <name>',
        'export traces: otlp (to $OTEL_EXPORTER_OTLP_ENDPOINT; replaces jaeger, ocagent and zpages)',
      ).argParser(traceExporter),
    )
    .addOption(
      new Option(
        '--trace-service-name <name>',
        'service.name of the spans ($OTEL_SERVICE_NAME, default "virtual-kubelet")',
      ),
    )
    .addOption(
      new Option('--trace-tag <key=value>', 'resource attribute on every span (repeatable)').argParser(
        traceTag,
      ),
    )
    .addOption(
      new Option(
        '--trace-sample-rate <rate>',
        'always, never or the percentage of new traces to sample (default: $OTEL_TRACES_SAMPLER, else all)',
      ).argParser(traceSampleRate),
    )
    .addOption(
      new Option('--provider-call-timeout <duration>', 'time a provider call may take before it is abandoned')
        .argParser(positiveDuration)
        .default(120_000, '2m'),
    )
    .addOption(
      new Option(
        '--leader-elect',
        'run as one of several agents for this node: the holder of a leader Lease works, the others stand by',
      ).default(false),
    )
    .addOption(
      new Option(
        '--leader-elect-lease-name <name>',
        'name of the leader Lease (default: the node name, i.e. the node Lease)',
      ),
    )
    .addOption(
      new Option('--leader-elect-lease-namespace <namespace>', 'namespace of the leader Lease').default(
        LEASE_NAMESPACE,
      ),
    )
    .addOption(
      new Option(
        '--leader-elect-lease-duration <duration>',
        'how long a standby waits without seeing a renewal before it takes over',
      )
        .argParser(positiveDuration)
        .default(DEFAULT_LEASE_DURATION_MS, '15s'),
    )
    .addOption(
      new Option(
        '--leader-elect-renew-deadline <duration>',
        'how long the holder tries to renew before it stops writing',
      )
        .argParser(positiveDuration)
        .default(DEFAULT_RENEW_DEADLINE_MS, '10s'),
    )
    .addOption(
      new Option(
        '--leader-elect-retry-period <duration>',
        'time between renewals and between tries to acquire',
      )
        .argParser(positiveDuration)
        .default(DEFAULT_RETRY_PERIOD_MS, '2s'),
    )
    .addOption(new Option('--namespace <ns>', 'ignored (deprecated upstream)').hideHelp())
    .addOption(new Option('--enable-node-lease', 'ignored: the lease is always used').hideHelp());
}

interface RawFlags extends TraceFlags {
  kubeconfig: string;
  nodename?: string;
  os: 'linux' | 'windows';
  provider?: string;
  providerConfig?: string;
  clusterDomain: string;
  nodeIp?: string;
  listenAddress?: { host: string; port: number };
  metricsAddr: { host: string; port: number } | false;
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
  providerCallTimeout: number;
  leaderElect: boolean;
  leaderElectLeaseName?: string;
  leaderElectLeaseNamespace: string;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
}

/** A flag's value, else the environment variable's, with the name to blame if it is bad. */
function fromFlagOrEnv(
  flag: string,
  flagValue: string | undefined,
  variable: string,
  env: NodeJS.ProcessEnv,
): { value: string; source: string } | undefined {
  if (flagValue !== undefined) return { value: flagValue, source: flag };
  const value = env[variable];
  return value ? { value, source: `$${variable}` } : undefined;
}

/**
 * Turns parsed flags plus upstream's environment variables (DEFAULT_NODE_NAME, KUBELET_PORT,
 * VKUBELET_POD_IP, VKUBELET_TAINT_*, APISERVER_*_LOCATION) into a checked configuration. Every bad
 * value is a UsageError naming the flag or variable it came from.
 */
export function toCommandLineConfig(flags: RawFlags, env: NodeJS.ProcessEnv): CommandLineConfig {
  if (!flags.provider) throw new UsageError('--provider is required (for example --provider mock)');
  const nodeName = fromFlagOrEnv('--nodename', flags.nodename, 'DEFAULT_NODE_NAME', env) ?? {
    value: 'virtual-kubelet',
    source: 'the default',
  };
  if (!isDnsSubdomain(nodeName.value)) {
    throw new UsageError(
      `${nodeName.source} "${nodeName.value}" is not a valid node name: use lowercase letters, digits, "-" and "." (a DNS subdomain of at most 253 characters)`,
    );
  }
  const nodeIP = fromFlagOrEnv('--node-ip', flags.nodeIp, 'VKUBELET_POD_IP', env);
  if (nodeIP && isIP(nodeIP.value) === 0) {
    throw new UsageError(`${nodeIP.source} "${nodeIP.value}" is not an IP address`);
  }
  let listen = flags.listenAddress;
  if (!listen) {
    const envPort = env.KUBELET_PORT;
    try {
      listen = { host: '0.0.0.0', port: envPort ? port(envPort) : 10250 };
    } catch (err) {
      throw new UsageError(`$KUBELET_PORT: ${errorMessage(err)}`);
    }
  }
  const tlsCert = fromFlagOrEnv('--tls-cert-file', flags.tlsCertFile, 'APISERVER_CERT_LOCATION', env);
  const tlsKey = fromFlagOrEnv(
    '--tls-private-key-file',
    flags.tlsPrivateKeyFile,
    'APISERVER_KEY_LOCATION',
    env,
  );
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw new UsageError('--tls-cert-file and --tls-private-key-file go together');
  }
  const clientCa = fromFlagOrEnv('--client-ca-file', flags.clientCaFile, 'APISERVER_CA_CERT_LOCATION', env);
  const effect = env.VKUBELET_TAINT_EFFECT || 'NoSchedule';
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) {
    throw new UsageError(
      `$VKUBELET_TAINT_EFFECT must be one of ${TAINT_EFFECTS.join(', ')}, got "${effect}"`,
    );
  }
  const taintKey = flags.taint || env.VKUBELET_TAINT_KEY || 'virtual-kubelet.io/provider';
  if (!isQualifiedName(taintKey)) {
    throw new UsageError(`$VKUBELET_TAINT_KEY "${taintKey}" is not a valid taint key`);
  }
  const taintValue = env.VKUBELET_TAINT_VALUE || undefined;
  if (taintValue !== undefined && !isLabelValue(taintValue)) {
    throw new UsageError(
      `$VKUBELET_TAINT_VALUE "${taintValue}" is not a valid taint value (at most 63 letters, digits, "-", "_" or ".")`,
    );
  }
  const leaderElection = flags.leaderElect ? leaderElectionConfig(flags, nodeName.value) : undefined;
  const taint = flags.disableTaint
    ? undefined
    : { key: taintKey, value: taintValue, effect: effect as (typeof TAINT_EFFECTS)[number] };
  return {
    kubeconfig: flags.kubeconfig,
    nodeName: nodeName.value,
    operatingSystem: flags.os,
    provider: flags.provider,
    providerConfig: flags.providerConfig,
    clusterDomain: flags.clusterDomain,
    nodeIP: nodeIP?.value,
    listenHost: listen.host,
    listenPort: listen.port,
    metricsAddress: flags.metricsAddr || undefined,
    taint,
    nodeLabels: flags.nodeLabels,
    podSyncWorkers: flags.podSyncWorkers,
    fullResyncPeriodMs: flags.fullResyncPeriod,
    startupTimeoutMs: flags.startupTimeout,
    streamIdleTimeoutMs: flags.streamIdleTimeout,
    streamCreationTimeoutMs: flags.streamCreationTimeout,
    kubeApiQps: flags.kubeApiQps,
    kubeApiBurst: flags.kubeApiBurst,
    tlsCertFile: tlsCert?.value,
    tlsKeyFile: tlsKey?.value,
    clientCaFile: clientCa?.value,
    rotateServerCertificates: flags.rotateServerCertificates,
    anonymousAuth: flags.anonymousAuth,
    logLevel: flags.logLevel,
    shutdownGracePeriodMs: flags.shutdownGracePeriod,
    tracing: tracingConfig(flags, env),
    providerCallTimeoutMs: flags.providerCallTimeout,
    leaderElection,
  };
}

function leaderElectionConfig(flags: RawFlags, nodeName: string): LeaderElectionConfig {
  const leaseName = flags.leaderElectLeaseName ?? nodeName;
  if (!isDnsSubdomain(leaseName)) {
    throw new UsageError(
      `--leader-elect-lease-name "${leaseName}" is not a valid Lease name (a DNS subdomain)`,
    );
  }
  if (!isDnsLabel(flags.leaderElectLeaseNamespace)) {
    throw new UsageError(
      `--leader-elect-lease-namespace "${flags.leaderElectLeaseNamespace}" is not a valid namespace (a DNS label)`,
    );
  }
  const config = {
    leaseName,
    leaseNamespace: flags.leaderElectLeaseNamespace,
    leaseDurationMs: flags.leaderElectLeaseDuration,
    renewDeadlineMs: flags.leaderElectRenewDeadline,
    retryPeriodMs: flags.leaderElectRetryPeriod,
  };
  const problem = validateTimings(config.leaseDurationMs, config.renewDeadlineMs, config.retryPeriodMs);
  if (problem) {
    const named = problem
      .replace('the lease duration', '--leader-elect-lease-duration')
      .replace('the renew deadline', '--leader-elect-renew-deadline')
      .replace('the retry period', '--leader-elect-retry-period');
    throw new UsageError(named);
  }
  return config;
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
