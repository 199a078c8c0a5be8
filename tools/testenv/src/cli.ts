#!/usr/bin/env node
// vkubelet-testenv up: starts a local control plane, prints KUBECONFIG=<path> once it is ready and
// keeps it up until SIGINT/SIGTERM, then tears it down. Progress goes to stderr, the result to stdout.
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';
import { startLocalControlPlane } from './local.js';

const usage = `usage: vkubelet-testenv up [--kubeconfig PATH] [--name NAME] [--no-scheduler] [--no-controller-manager]
  Starts etcd, kube-apiserver, kube-scheduler and kube-controller-manager on 127.0.0.1, writes the
  admin kubeconfig to PATH (default ~/.cache/vkubelet/local/kubeconfig) and runs until interrupted.`;

function fail(message: string): never {
  process.stderr.write(`vkubelet-testenv: ${message}\n${usage}\n`);
  process.exit(2);
}

async function up(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        node: { type: 'string' },
        name: { type: 'string' },
        'no-scheduler': { type: 'boolean', default: false },
        'no-controller-manager': { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(errorMessage(error));
  }
  const started = Date.now();
  process.stderr.write(
    '[testenv] starting etcd, kube-apiserver, kube-scheduler, kube-controller-manager on 127.0.0.1...\n',
  );
  const local = await startLocalControlPlane({
    scheduler: !values['no-scheduler'],
    controllerManager: !values['no-controller-manager'],
    ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
    ...(values.name ? { name: values.name } : {}),
  });
  process.stderr.write(
    `[testenv] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${local.controlPlane.server} (logs in ${local.controlPlane.dir}/logs)\n`,
  );
  let nodeKubeconfig: string | undefined;
  if (values.node) {
    nodeKubeconfig = join(dirname(local.kubeconfigPath), `${values.node}.kubeconfig`);
    copyFileSync(await local.controlPlane.nodeKubeconfig(values.node), nodeKubeconfig);
    process.stdout.write(`NODE_KUBECONFIG=${nodeKubeconfig}\nCA_FILE=${local.controlPlane.caCertPath}\n`);
  }
  process.stdout.write(`KUBECONFIG=${local.kubeconfigPath}\n`);

  await new Promise<void>(resolveSignal => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stderr.write(`[testenv] ${signal}: stopping the control plane\n`);
      resolveSignal();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await local.stop();
  // It holds the node's client key: nothing of a stopped control plane stays behind.
  if (nodeKubeconfig) rmSync(nodeKubeconfig, { force: true });
  process.stderr.write('[testenv] stopped\n');
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'up') {
  up(rest).catch((error: unknown) => {
    process.stderr.write(`[testenv] failed: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  });
} else if (command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(`${usage}\n`);
} else {
  fail(command ? `unknown command ${JSON.stringify(command)}` : 'missing command');
}
