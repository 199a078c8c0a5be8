#!/usr/bin/env node
// vkubelet-eci-emulator: starts the ECI emulator on loopback, prints one JSON line with what a client
// needs (endpoint, regionId, keys) and serves until SIGINT/SIGTERM. Bad flags: exit 2, one line.
import { errorMessage } from '@vkubelet/provider-kit';

import { connectionLine, parseCliArgs, USAGE, UsageError } from './cli-args.js';
import { startEciEmulator, type EciEmulator } from './emulator.js';
import type { EciEmulatorOptions } from './options.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let options: EciEmulatorOptions;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`vkubelet-eci-emulator: ${error.message}\n`);
    process.exit(2);
  }
  let emulator: EciEmulator;
  try {
    emulator = await startEciEmulator(options);
  } catch (error) {
    process.stderr.write(`vkubelet-eci-emulator: ${errorMessage(error).replace(/\n/g, ' ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`${connectionLine(emulator)}\n`);
  await new Promise<void>(resolve => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await emulator.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`vkubelet-eci-emulator: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
