// The vkubelet-nomad-emulator command, run from its TypeScript sources in a child process.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

// testenv's hook lets Node run workspace sources that import each other as "./x.js".
const tsResolveHook = fileURLToPath(
  new URL('../../../testenv/tests/fixtures/ts-resolve.mjs', import.meta.url),
);
const cliSource = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function runCli(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@vkubelet/source',
      '--experimental-transform-types',
      '--no-warnings',
      '--import',
      tsResolveHook,
      cliSource,
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('vkubelet-nomad-emulator', () => {
  it('prints one JSON line, serves the API with the asked nodes and namespaces, and stops on SIGTERM', async () => {
    const cli = runCli(['--nodes', '1', '--namespace', 'team-a', '--token', 'secret-1']);
    const line = await Promise.race([
      new Promise<string>(resolve => createInterface({ input: cli.child.stdout }).once('line', resolve)),
      cli.exited.then(code => {
        throw new Error(`exited with ${code}: ${cli.stderr()}`);
      }),
    ]);
    const printed = JSON.parse(line) as Record<string, string>;
    expect(printed).toEqual({
      address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      token: 'secret-1',
      namespace: 'default',
      region: 'global',
    });
    const headers = { 'X-Nomad-Token': 'secret-1' };
    const nodes = (await (await fetch(`${printed['address']}/v1/nodes`, { headers })).json()) as unknown[];
    expect(nodes).toHaveLength(1);
    const namespaces = (await (
      await fetch(`${printed['address']}/v1/namespaces`, { headers })
    ).json()) as Array<{ Name: string }>;
    expect(namespaces.map(namespace => namespace.Name)).toEqual(['default', 'team-a']);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await expect(fetch(`${printed['address']}/v1/agent/health`)).rejects.toThrow();
  });

  it('exits 2 with one line and the usage for a bad flag', async () => {
    const cli = runCli(['--nodes', 'many']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr().split('\n')[0]).toBe(
      'vkubelet-nomad-emulator: --nodes must be an integer >= 0, not "many"',
    );
    expect(cli.stderr()).toContain('usage: vkubelet-nomad-emulator');
  });
});
