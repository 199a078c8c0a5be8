#!/usr/bin/env node
// vkubelet-stack: the local stacks behind tools/scripts/start.sh. Progress goes to stderr; stdout gets
// one line, KUBECONFIG=<path>, once the node is Ready.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { binaryPath } from '@vkubelet/testenv';
import { errorMessage } from '@vkubelet/provider-kit';

import { hostAddress, unproxyableReason } from './address.js';
import { parseUpArgs, USAGE, UsageError, type UpArgs } from './cli-args.js';
import { createProgress } from './progress.js';
import { findProvider, PROVIDERS } from './providers/index.js';
import { ProviderUnavailableError, startStack, type Stack } from './stack.js';
import {
  diagnoseKubeconfig,
  isSupervisorAlive,
  listStacks,
  stackDir,
  StackInUseError,
  readRecord,
} from './state.js';
import { tryItText } from './try-it.js';

const run = promisify(execFile);
const progress = createProgress(line => process.stderr.write(`${line}\n`));

/** Decides which cluster `up` uses, explaining an exported KUBECONFIG that is not what it seems. */
async function chooseCluster(args: UpArgs): Promise<string | undefined> {
  const diagnosis = diagnoseKubeconfig(process.env['KUBECONFIG']);
  switch (diagnosis.kind) {
    case 'unset':
      return undefined;
    case 'local-stopped':
      progress.line(
        `KUBECONFIG=${diagnosis.path} is the kubeconfig of local stack "${diagnosis.name}", which is not running ` +
          '(stopped, or exported in this shell by an earlier start): ignoring it and starting a new local stack. ' +
          'Export the KUBECONFIG line printed below once the node is Ready.',
      );
      return undefined;
    case 'local-running':
      if (diagnosis.record.name !== args.name) {
        progress.line(
          `KUBECONFIG points at the running local stack "${diagnosis.record.name}": starting stack "${args.name}" ` +
            'beside it, with its own control plane and kubeconfig.',
        );
      }
      return undefined;
    case 'external': {
      const kubectl = binaryPath('kubectl');
      try {
        await run(
          kubectl,
          [`--kubeconfig=${diagnosis.path}`, '--request-timeout=5s', 'get', '--raw', '/readyz'],
          {
            timeout: 15_000,
          },
        );
      } catch (error) {
        const reason = ((error as { stderr?: string }).stderr ?? errorMessage(error)).trim().split('\n')[0];
        throw new ClusterUnreachableError(
          `KUBECONFIG=${diagnosis.path} points at a cluster that does not answer (${reason}). ` +
            'Unset KUBECONFIG to start a local control plane, or start that cluster first.',
        );
      }
      progress.line(`KUBECONFIG is set: joining that cluster (no local control plane, no metrics-server)`);
      return diagnosis.path;
    }
  }
}

class ClusterUnreachableError extends Error {}

async function up(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const args = parseUpArgs(argv);
  const provider = findProvider(args.provider)!;
  const address = args.address ?? hostAddress();
  if (!address) {
    throw new UsageError('this host has no non-loopback IPv4 address for the node: pass --address IP');
  }
  const unproxyable = unproxyableReason(address);
  if (unproxyable) {
    throw new UsageError(`--address ${address} is ${unproxyable}: the API server does not proxy to it`);
  }
  const externalKubeconfig = await chooseCluster(args);
  const started = Date.now();
  progress.line(
    `starting stack "${args.name}" (provider ${provider.name}, node ${args.nodeName} on ${address})`,
  );

  // The first SIGINT/SIGTERM/SIGHUP stops the stack, whether it is starting or running.
  const signalled = Promise.withResolvers<NodeJS.Signals>();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    progress.line(`${signal}: stopping stack "${args.name}"`);
    signalled.resolve(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const starting = startStack({
    name: args.name,
    provider,
    nodeName: args.nodeName,
    address,
    agentFlags: args.agentFlags,
    ...(externalKubeconfig ? { externalKubeconfig } : {}),
    progress,
  });
  const stack: Stack | NodeJS.Signals = await Promise.race([starting, signalled.promise]);
  if (typeof stack === 'string') {
    // The step under way fails or finishes soon (its processes were signalled too); either way the
    // stack is then stopped and its directory removed.
    const late = await starting.catch(() => undefined);
    await late?.stop();
    return 130;
  }
  progress.line(
    `stack "${stack.name}" ready in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C stops it`,
  );
  process.stderr.write(tryItText(stack));
  process.stdout.write(`KUBECONFIG=${stack.kubeconfig}\n`);

  const failure = await Promise.race([stack.failed, signalled.promise.then(() => undefined)]);
  if (failure) progress.line(failure);
  await stack.stop();
  progress.line(`stack "${stack.name}" stopped`);
  return failure ? 1 : 0;
}

async function waitUntilGone(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(path) && Date.now() < deadline) await sleep(100);
}

function list(): number {
  const stacks = listStacks();
  if (stacks.length === 0) {
    process.stdout.write('no local stacks\n');
    return 0;
  }
  for (const { name, record, alive } of stacks) {
    const state = alive ? (record?.phase ?? 'running') : 'dead (left behind: vkubelet-stack stop removes it)';
    process.stdout.write(
      `${name}\t${record?.provider ?? '?'}\t${state}\tpid ${record?.pid ?? '?'}\tKUBECONFIG=${record?.kubeconfig ?? '?'}\n`,
    );
  }
  return 0;
}

async function stop(name: string | undefined): Promise<number> {
  if (!name) throw new UsageError('stop needs the stack name (see vkubelet-stack list)');
  const dir = stackDir(name);
  const record = readRecord(dir);
  if (!existsSync(dir)) {
    process.stderr.write(`vkubelet-stack: no stack named "${name}"\n`);
    return 1;
  }
  if (record && isSupervisorAlive(record.pid)) {
    process.kill(record.pid, 'SIGTERM');
    await waitUntilGone(dir, 60_000);
    if (existsSync(dir)) {
      process.stderr.write(`vkubelet-stack: stack "${name}" (pid ${record.pid}) did not stop within 60 s\n`);
      return 1;
    }
  } else {
    // Its supervisor was killed and its watchdog did not get to remove the directory.
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`stopped ${name}\n`);
  return 0;
}

function providers(): number {
  for (const entry of PROVIDERS) process.stdout.write(`${entry.name}\t${entry.runsOn}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up':
        return await up(rest);
      case 'list':
        return list();
      case 'stop':
        return await stop(rest[0]);
      case 'providers':
        return providers();
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ProviderUnavailableError) {
      process.stderr.write(`vkubelet-stack: ${error.message} (usage: vkubelet-stack --help)\n`);
      return 2;
    }
    if (error instanceof StackInUseError || error instanceof ClusterUnreachableError) {
      process.stderr.write(`vkubelet-stack: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`vkubelet-stack: ${errorMessage(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
// Leftover handles (kubectl children, timers) must not keep a stopped stack's process alive.
process.exit();
