#!/usr/bin/env node
// vkubelet-aci-emulator: starts the ACI emulator on loopback, prints one JSON line with what a client
// needs (endpoints, ids, secret, CA file), and runs until SIGINT/SIGTERM. Bad flags: exit 2.
import { parseArgs } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';

import type { AciEmulatorOptions } from './options.js';

const usage = `usage: vkubelet-aci-emulator [--port N] [--host ADDR] [--resource-group NAME]... [--location NAME]...
    [--tenant-id ID] [--subscription-id ID] [--client-id ID] [--client-secret SECRET]
    [--federated-subject SUBJECT]... [--pending-ms N] [--creating-ms N] [--delete-ms N]
    [--page-size N] [--exec-command single-argv|split-on-spaces]
  Serves Azure Resource Manager (Microsoft.ContainerInstance 2023-05-01) and Entra ID over HTTPS on
  loopback and prints {"armEndpoint", "authorityHost", "tenantId", "subscriptionId", "clientId",
  "clientSecret", "caFile", "resourceGroup", "location"} as one JSON line.`;

function fail(message: string): never {
  process.stderr.write(`vkubelet-aci-emulator: ${message}\n${usage}\n`);
  process.exit(2);
}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    fail(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

function optionsFromArgs(argv: string[]): AciEmulatorOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'resource-group': { type: 'string', multiple: true },
        location: { type: 'string', multiple: true },
        'tenant-id': { type: 'string' },
        'subscription-id': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'federated-subject': { type: 'string', multiple: true },
        'pending-ms': { type: 'string' },
        'creating-ms': { type: 'string' },
        'delete-ms': { type: 'string' },
        'page-size': { type: 'string' },
        'exec-command': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail(errorMessage(err));
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const exec = values['exec-command'];
  if (exec !== undefined && exec !== 'single-argv' && exec !== 'split-on-spaces') {
    fail(`--exec-command must be single-argv or split-on-spaces, got ${JSON.stringify(exec)}`);
  }
  const provisioning = {
    ...(values['pending-ms'] !== undefined ? { pendingMs: count('pending-ms', values['pending-ms']) } : {}),
    ...(values['creating-ms'] !== undefined
      ? { creatingMs: count('creating-ms', values['creating-ms']) }
      : {}),
    ...(values['delete-ms'] !== undefined ? { deleteMs: count('delete-ms', values['delete-ms']) } : {}),
  };
  const port = count('port', values.port);
  const pageSize = count('page-size', values['page-size']);
  return {
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['resource-group'] ? { resourceGroups: values['resource-group'] } : {}),
    ...(values.location ? { locations: values.location } : {}),
    ...(values['tenant-id'] ? { tenantId: values['tenant-id'] } : {}),
    ...(values['subscription-id'] ? { subscriptionId: values['subscription-id'] } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}),
    ...(values['federated-subject'] ? { federatedSubjects: values['federated-subject'] } : {}),
    ...(Object.keys(provisioning).length > 0 ? { provisioning } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
    ...(exec ? { execCommand: exec } : {}),
  };
}

async function main(): Promise<void> {
  const options = optionsFromArgs(process.argv.slice(2));
  // Listen before starting, so a signal during start-up still stops the emulator cleanly.
  const stopSignal = new Promise<NodeJS.Signals>(resolve => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Loaded after the flags are checked, so a bad flag fails fast.
  const { startAciEmulator } = await import('./emulator.js');
  let emulator;
  try {
    emulator = await startAciEmulator(options);
  } catch (err) {
    if (err instanceof RangeError) fail(err.message);
    throw err;
  }
  const {
    armEndpoint,
    authorityHost,
    tenantId,
    subscriptionId,
    clientId,
    clientSecret,
    caFile,
    resourceGroup,
    location,
  } = emulator;
  process.stdout.write(
    `${JSON.stringify({ armEndpoint, authorityHost, tenantId, subscriptionId, clientId, clientSecret, caFile, resourceGroup, location })}\n`,
  );
  const signal = await stopSignal;
  process.stderr.write(`[aci-emulator] ${signal}: stopping\n`);
  await emulator.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`[aci-emulator] failed: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
