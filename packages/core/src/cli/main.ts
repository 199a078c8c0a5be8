#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

import { errorMessage, isInvalidInput, type Logger, type ProviderPlugin } from '@vkubelet/provider-kit';

import { CORE_VERSION, KUBELET_VERSION } from '../agent/version.js';
import { VirtualKubelet } from '../agent/virtual-kubelet.js';
import { readCaBundle, readKeyPair } from '../http/tls/file-source.js';
import {
  inClusterAccess,
  isInCluster,
  KubeconfigError,
  loadKubeconfig,
  type ClusterAccess,
} from '../kube/kubeconfig/index.js';
import { createPinoLogger } from '../logging/pino-logger.js';
import { startTracing } from '../tracing/sdk.js';
import { describeFailure, oneLine } from './failure.js';
import { useAgentHeapFlags } from './heap-flags.js';
import { defineRootFlags, toCommandLineConfig, UsageError, type CommandLineConfig } from './flags.js';
import { otlpCertificateFiles } from './trace-flags.js';
import { releaseStartupMemory } from './release-startup-memory.js';
import { availableProviders, KNOWN_PROVIDERS, loadProviderPlugin } from './provider-loader.js';

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad flags or configuration (as upstream). */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** How long after the grace period the process is ended if the agent has still not returned. */
const FORCED_EXIT_MARGIN_MS = 1_000;

/** What the command needs from its process: signals, and a way to end it (tests pass a stand-in). */
export interface ProcessControl {
  /** Calls `listener` on SIGINT and SIGTERM until the returned function is called. */
  onSignals(listener: (signal: NodeJS.Signals) => void): () => void;
  /** Ends the process now. */
  exit(code: number): void;
}

const processControl: ProcessControl = {
  onSignals(listener) {
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
  exit: code => process.exit(code),
};

/** A failure that already has its one-line message and exit code. */
class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Whether the agent had been created (and so the process must be ended). */
    readonly afterCreate: boolean,
  ) {
    super(message);
  }
}

/** The kubeconfig file if it exists, else the pod's service account (as upstream). */
function clusterAccessFor(path: string): ClusterAccess {
  try {
    if (existsSync(path)) return loadKubeconfig(path);
    if (isInCluster()) return inClusterAccess();
  } catch (err) {
    // A malformed kubeconfig is bad configuration: exit code 2 with the message naming the field.
    if (err instanceof KubeconfigError) throw new UsageError(err.message);
    throw err;
  }
  throw new UsageError(`kubeconfig ${path} does not exist and this is not running inside a cluster`);
}

/** Certificate files are read before anything starts, so a bad one is a usage error, not a crash later. */
async function checkCertificateFiles(config: CommandLineConfig): Promise<void> {
  const check = async (flag: string, read: () => Promise<unknown>) => {
    try {
      await read();
    } catch (err) {
      throw new UsageError(`${flag}: ${errorMessage(err)}`);
    }
  };
  if (config.clientCaFile) {
    const file = config.clientCaFile;
    await check('--client-ca-file', () => readCaBundle(file));
  }
  if (config.tlsCertFile && config.tlsKeyFile) {
    const [cert, key] = [config.tlsCertFile, config.tlsKeyFile];
    await check('--tls-cert-file/--tls-private-key-file', () => readKeyPair(cert, key));
  }
  if (config.tracing) {
    for (const { variable, path } of otlpCertificateFiles(process.env)) {
      await check(variable, () => readFile(path));
    }
  }
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Builds and runs the agent for a parsed command line; resolves when it stops. The first SIGINT or
 * SIGTERM stops it, a second one, or the end of the shutdown grace period, ends the process
 * (through `control`). Throws a UsageError for bad configuration, including an InvalidInputError
 * from the provider's factory.
 */
export async function runAgent(
  config: CommandLineConfig,
  logger: Logger,
  preset?: ProviderPlugin,
  control: ProcessControl = processControl,
): Promise<void> {
  const plugin =
    preset && preset.name === config.provider ? preset : await loadProviderPlugin(config.provider);
  const providerName = plugin.name;
  const kubeConfig = clusterAccessFor(config.kubeconfig);
  await checkCertificateFiles(config);
  const tracing =
    config.tracing &&
    (await startTracing(
      config.tracing,
      { nodeName: config.nodeName, provider: providerName, operatingSystem: config.operatingSystem },
      logger,
    ));
  try {
    await createAndRun(config, logger, plugin, kubeConfig, control);
  } finally {
    // The spans still queued go out before the process ends.
    await tracing?.shutdown();
  }
}

async function createAndRun(
  config: CommandLineConfig,
  logger: Logger,
  plugin: ProviderPlugin,
  kubeConfig: ClusterAccess,
  control: ProcessControl,
): Promise<void> {
  const providerName = plugin.name;
  let agent: VirtualKubelet;
  try {
    agent = await VirtualKubelet.create({
      nodeName: config.nodeName,
      kubeConfig,
      provider: context => plugin.create(context),
      providerName,
      providerConfigPath: config.providerConfig,
      operatingSystem: config.operatingSystem,
      nodeIP: config.nodeIP,
      clusterDomain: config.clusterDomain,
      taint: config.taint ? { ...config.taint, value: config.taint.value ?? providerName } : null,
      nodeLabels: config.nodeLabels,
      kubeletApi: {
        host: config.listenHost,
        port: config.listenPort,
        tls:
          config.tlsCertFile && config.tlsKeyFile
            ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }
            : config.rotateServerCertificates
              ? { csr: {} }
              : { selfSigned: true },
        auth: { clientCaFile: config.clientCaFile, anonymous: config.anonymousAuth, webhook: true },
        streamIdleTimeoutMs: config.streamIdleTimeoutMs,
        streamCreationTimeoutMs: config.streamCreationTimeoutMs,
      },
      metricsAddress: config.metricsAddress,
      podSyncWorkers: config.podSyncWorkers,
      kubeApiQps: config.kubeApiQps,
      kubeApiBurst: config.kubeApiBurst,
      startupTimeoutMs: config.startupTimeoutMs,
      shutdownGraceMs: config.shutdownGracePeriodMs,
      providerCallTimeoutMs: config.providerCallTimeoutMs,
      resyncPeriodMs: config.fullResyncPeriodMs,
      leaderElection: config.leaderElection,
      logger,
    });
  } catch (err) {
    // The provider contract: a bad --provider-config (or provider setting) is an InvalidInputError
    // whose message names the file and field.
    if (isInvalidInput(err)) throw new UsageError(oneLine(errorMessage(err)));
    throw new CommandFailure(describeFailure(err, kubeConfig), EXIT_FAILURE, false);
  }
  const grace = config.shutdownGracePeriodMs;
  let stopping = false;
  const unsubscribe = control.onSignals(signal => {
    if (stopping) {
      process.stderr.write(`virtual-kubelet: second ${signal}: exiting without waiting\n`);
      control.exit(128 + (constants.signals[signal] ?? 15));
      return;
    }
    stopping = true;
    logger.info('shutting down', { signal, gracePeriod: formatDuration(grace) });
    // The agent gives up on whatever has not stopped at the end of the grace period; this is the
    // backstop for an event loop too busy for even that. Unreferenced: a process with nothing left
    // to do ends without waiting for it.
    setTimeout(() => {
      process.stderr.write(
        `virtual-kubelet: not stopped within the shutdown grace period (${formatDuration(grace)}); exiting\n`,
      );
      control.exit(EXIT_FAILURE);
    }, grace + FORCED_EXIT_MARGIN_MS).unref();
    void agent.shutdown();
  });
  logger.info('waiting for the virtual node to be ready', { provider: providerName, version: CORE_VERSION });
  void agent.whenReady().then(
    () => {
      logger.info('ready');
      releaseStartupMemory();
    },
    () => {},
  );
  try {
    await agent.run();
  } catch (err) {
    throw new CommandFailure(describeFailure(err, kubeConfig), EXIT_FAILURE, true);
  } finally {
    unsubscribe();
  }
}

/**
 * The `virtual-kubelet` command. A provider package's own entry point passes its plugin, which then
 * is the default `--provider` and needs no loading by name. Returns the exit code; once an agent has
 * run, the process is ended with it, so that nothing a provider left behind (a timer, a socket)
 * keeps it alive after the agent has stopped.
 */
export async function main(
  argv: string[],
  options: { plugin?: ProviderPlugin; process?: ProcessControl } = {},
): Promise<number> {
  const env = process.env;
  const control = options.process ?? processControl;
  let exitCode = 0;
  let ranAgent = false;
  const program = defineRootFlags(new Command('virtual-kubelet'), env)
    .description('Registers a virtual node and runs its pods through a provider.')
    .exitOverride()
    .configureOutput({
      // Usage errors are one line naming the flag; --help shows the rest.
      outputError: (text, write) =>
        write(`virtual-kubelet: ${oneLine(text.replace(/^error: /, ''))} (see --help)\n`),
    })
    .helpCommand(true);
  if (options.plugin) {
    program.setOptionValueWithSource('provider', options.plugin.name, 'default');
  }
  program.action(async (flags: Parameters<typeof toCommandLineConfig>[0]) => {
    const config = toCommandLineConfig(flags, env);
    await runAgent(config, createPinoLogger({ level: config.logLevel }), options.plugin, control);
    ranAgent = true;
  });
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`Version: ${CORE_VERSION}, kubelet version: ${KUBELET_VERSION}\n`);
    });
  program
    .command('providers [name]')
    .description('list the providers available here, or check that one can be loaded')
    .action(async (name?: string) => {
      if (!name) {
        const available = new Set(await availableProviders());
        const lines = KNOWN_PROVIDERS.map(
          known => `${known}${available.has(known) ? '' : ' (not available)'}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      await loadProviderPlugin(name);
      process.stdout.write(`${name}\n`);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    exitCode = exitCodeOf(err);
    if (err instanceof CommandFailure && err.afterCreate) ranAgent = true;
  }
  if (ranAgent) control.exit(exitCode);
  return exitCode;
}

/** Reports `err` on one line and says which exit code it means. */
function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  if (err instanceof UsageError) {
    process.stderr.write(`virtual-kubelet: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof CommandFailure) {
    process.stderr.write(`virtual-kubelet: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`virtual-kubelet: ${describeFailure(err)}\n`);
  return EXIT_FAILURE;
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  useAgentHeapFlags();
  process.exitCode = await main(process.argv.slice(2));
}
