#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { Logger, ProviderPlugin } from '@vkubelet/provider-kit';

import { CORE_VERSION, KUBELET_VERSION } from '../agent/version.js';
import { VirtualKubelet } from '../agent/virtual-kubelet.js';
import {
  inClusterAccess,
  isInCluster,
  KubeconfigError,
  loadKubeconfig,
  type ClusterAccess,
} from '../kube/kubeconfig/index.js';
import { createPinoLogger } from '../logging/pino-logger.js';
import { useAgentHeapFlags } from './heap-flags.js';
import { defineRootFlags, toCommandLineConfig, UsageError, type CommandLineConfig } from './flags.js';
import { KNOWN_PROVIDERS, loadProviderPlugin } from './provider-loader.js';

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad flags or configuration (as upstream). */
export const EXIT_USAGE = 2;

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

/** Builds and runs the agent for a parsed command line; resolves when it stops. */
export async function runAgent(
  config: CommandLineConfig,
  logger: Logger,
  preset?: ProviderPlugin,
): Promise<void> {
  const providerName = config.provider;
  const plugin = preset && preset.name === providerName ? preset : await loadProviderPlugin(providerName);
  const agent = await VirtualKubelet.create({
    nodeName: config.nodeName,
    kubeConfig: clusterAccessFor(config.kubeconfig),
    provider: context => plugin.create(context),
    providerName,
    providerConfigPath: config.providerConfig,
    operatingSystem: config.operatingSystem,
    nodeIP: config.nodeIP,
    clusterDomain: config.clusterDomain,
    taint: config.taint ?? null,
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
    logger,
  });
  const stop = (signal: string) => {
    logger.info('shutting down', { signal });
    void agent.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  logger.info('waiting for the virtual node to be ready', { provider: providerName, version: CORE_VERSION });
  void agent.whenReady().then(
    () => logger.info('ready'),
    () => {},
  );
  try {
    await agent.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * The `virtual-kubelet` command. A provider package's own entry point passes its plugin, which then
 * is the default `--provider` and needs no loading by name. Returns the exit code.
 */
export async function main(argv: string[], options: { plugin?: ProviderPlugin } = {}): Promise<number> {
  const env = process.env;
  let exitCode = 0;
  const program = defineRootFlags(new Command('virtual-kubelet'), env)
    .description('Registers a virtual node and runs its pods through a provider.')
    .exitOverride()
    .showHelpAfterError();
  if (options.plugin) {
    program.setOptionValueWithSource('provider', options.plugin.name, 'default');
  }
  program.action(async (flags: Parameters<typeof toCommandLineConfig>[0]) => {
    const config = toCommandLineConfig(flags, env);
    await runAgent(config, createPinoLogger({ level: config.logLevel }), options.plugin);
  });
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`Version: ${CORE_VERSION}, kubelet version: ${KUBELET_VERSION}\n`);
    });
  program
    .command('providers [name]')
    .description('list the known providers, or check that one can be loaded')
    .action(async (name?: string) => {
      if (!name) {
        process.stdout.write(`${KNOWN_PROVIDERS.join('\n')}\n`);
        return;
      }
      try {
        await loadProviderPlugin(name);
        process.stdout.write(`${name}\n`);
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        exitCode = 1;
      }
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`virtual-kubelet: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(
      `virtual-kubelet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  useAgentHeapFlags();
  process.exitCode = await main(process.argv.slice(2));
}
