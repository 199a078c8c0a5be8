import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { parseCliArgs, UsageError } from '../../src/cli-args.js';
import type { EciEmulator } from '../../src/index.js';
import { popClient, stsKeys } from '../support.js';

const cliSource = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// Runs the TypeScript sources of this and the workspace packages it imports, as vitest does.
const nodeArgs = [
  '--experimental-transform-types',
  '--no-warnings',
  '--conditions=@vkubelet/source',
  '--import',
  fileURLToPath(new URL('../../../testenv/tests/fixtures/ts-resolve.mjs', import.meta.url)),
  cliSource,
];

function run(args: string[]) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('vkubelet-eci-emulator', () => {
  it('prints one JSON line a client can use, and stops on SIGTERM', async () => {
    const { child, exited } = run([
      '--sts',
      '--region',
      'cn-shanghai',
      '--access-key-id',
      'LTAIcli',
      '--access-key-secret',
      's3cret',
    ]);
    const line = await new Promise<string>(resolve =>
      createInterface({ input: child.stdout }).once('line', resolve),
    );
    const printed = JSON.parse(line) as EciEmulator;
    expect(printed).toMatchObject({
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      regionId: 'cn-shanghai',
      accessKeyId: 'LTAIcli',
      accessKeySecret: 's3cret',
      sts: { accessKeyId: expect.stringMatching(/^STS\./), securityToken: expect.any(String) },
    });
    await expect(popClient(printed, 'POST', stsKeys(printed))('DescribeRegions')).resolves.toMatchObject({
      Regions: [expect.objectContaining({ RegionId: 'cn-shanghai' })],
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(printed.endpoint)).rejects.toThrow();
  });

  it('exits 2 with one line for a bad flag', async () => {
    const { exited, stderr } = run(['--port', 'eighty']);
    expect(await exited).toBe(2);
    expect(stderr()).toBe('vkubelet-eci-emulator: --port must be an integer from 0 to 65535\n');
  });

  it('reads its flags into emulator options', () => {
    expect(parseCliArgs(['--port', '8080', '--scheduling-ms', '0', '--pending-ms', '5'])).toEqual({
      port: 8080,
      sts: false,
      timing: { schedulingMs: 0, pendingMs: 5 },
    });
    expect(() => parseCliArgs(['--access-key-id', 'x'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--pending-ms=1.5'])).toThrow('--pending-ms must be a non-negative integer');
    expect(() => parseCliArgs(['--bogus'])).toThrow(UsageError);
  });
});
