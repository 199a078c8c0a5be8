// Flags of vkubelet-eci-emulator and the line it prints (kept apart from cli.ts, which runs on import).
import { parseArgs } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';

import type { EciEmulator } from './emulator.js';
import type { EciEmulatorOptions } from './options.js';

export const USAGE = `usage: vkubelet-eci-emulator [--port N] [--host ADDR] [--region ID] [--access-key-id ID --access-key-secret SECRET]
  [--sts] [--scheduling-ms N] [--pending-ms N] [--restart-backoff-ms N]
  Serves the Alibaba Cloud ECI API (2018-08-08) on ADDR (default 127.0.0.1) and prints
  {"endpoint","regionId","accessKeyId","accessKeySecret"[,"sts"]} as one JSON line.`;

export class UsageError extends Error {}

function milliseconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new UsageError(`--${name} must be a non-negative integer`);
  return number;
}

/** The emulator options the flags ask for; UsageError for anything malformed. */
export function parseCliArgs(argv: string[]): EciEmulatorOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        region: { type: 'string' },
        'access-key-id': { type: 'string' },
        'access-key-secret': { type: 'string' },
        sts: { type: 'boolean', default: false },
        'scheduling-ms': { type: 'string' },
        'pending-ms': { type: 'string' },
        'restart-backoff-ms': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  if ((values['access-key-id'] === undefined) !== (values['access-key-secret'] === undefined)) {
    throw new UsageError('--access-key-id and --access-key-secret go together');
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError('--port must be an integer from 0 to 65535');
  }
  const timing = Object.fromEntries(
    (
      [
        ['schedulingMs', 'scheduling-ms'],
        ['pendingMs', 'pending-ms'],
        ['restartBackoffMs', 'restart-backoff-ms'],
      ] as const
    )
      .map(([key, flag]) => [key, milliseconds(flag, values[flag])] as const)
      .filter(([, value]) => value !== undefined),
  );
  return {
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values.region ? { regionId: values.region } : {}),
    ...(values['access-key-id'] ? { accessKeyId: values['access-key-id'] } : {}),
    ...(values['access-key-secret'] ? { accessKeySecret: values['access-key-secret'] } : {}),
    sts: values.sts,
    timing,
  };
}

/** The line the CLI prints: everything a client (or the local stack) needs to reach the emulator. */
export function connectionLine(emulator: EciEmulator): string {
  return JSON.stringify({
    endpoint: emulator.endpoint,
    regionId: emulator.regionId,
    accessKeyId: emulator.accessKeyId,
    accessKeySecret: emulator.accessKeySecret,
    ...(emulator.sts ? { sts: emulator.sts } : {}),
  });
}
