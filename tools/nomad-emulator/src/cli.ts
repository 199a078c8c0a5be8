#!/usr/bin/env node
// vkubelet-nomad-emulator: starts the Nomad API emulator on 127.0.0.1, prints one JSON line with what
// a client needs (address, token, namespace, region, TLS files) and runs until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';

import { startNomadEmulator } from './emulator.js';

const usage = `usage: vkubelet-nomad-emulator [--port N] [--region R] [--datacenter DC] [--nodes N]
                               [--namespace NS]... [--no-acl] [--token SECRET] [--tls | --mtls]
  Starts a Nomad HTTP API emulator on 127.0.0.1 and prints {"address","token","namespace","region",
  "caFile","clientCert","clientKey"} as one JSON line; stops on SIGINT or SIGTERM.`;

function fail(message: string): never {
  process.stderr.write(`vkubelet-nomad-emulator: ${message}\n${usage}\n`);
  process.exit(2);
}

function positiveInteger(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) fail(`${flag} must be an integer >= ${min}, not "${value}"`);
  return number;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        port: { type: 'string' },
        region: { type: 'string' },
        datacenter: { type: 'string' },
        nodes: { type: 'string' },
        namespace: { type: 'string', multiple: true },
        'no-acl': { type: 'boolean', default: false },
        token: { type: 'string' },
        tls: { type: 'boolean', default: false },
        mtls: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(errorMessage(error));
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (values.tls && values.mtls) fail('--tls and --mtls exclude each other');
  const port = positiveInteger(values.port, '--port', 0);
  const nodes = positiveInteger(values.nodes, '--nodes', 0);
  const emulator = await startNomadEmulator({
    ...(port !== undefined ? { port } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...(values.datacenter ? { datacenter: values.datacenter } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
    ...(values.namespace ? { namespaces: values.namespace } : {}),
    ...(values.token ? { managementToken: values.token } : {}),
    acl: !values['no-acl'],
    tls: values.mtls ? 'mutual' : values.tls,
  });
  process.stdout.write(
    `${JSON.stringify({
      address: emulator.address,
      token: emulator.token,
      namespace: emulator.namespace,
      region: emulator.region,
      ...(emulator.caFile ? { caFile: emulator.caFile } : {}),
      ...(emulator.clientCert ? { clientCert: emulator.clientCert, clientKey: emulator.clientKey } : {}),
    })}\n`,
  );
  await new Promise<void>(resolve => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await emulator.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`vkubelet-nomad-emulator: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
