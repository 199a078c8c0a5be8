import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ClientSecretCredential } from '@azure/identity';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// The test environment's hook lets Node run the TypeScript sources: "./x.js" is retried as "./x.ts".
const tsResolveHook = fileURLToPath(
  new URL('../../../testenv/tests/fixtures/ts-resolve.mjs', import.meta.url),
);
const nodeArgs = [
  '--experimental-transform-types',
  '--no-warnings',
  '--conditions=@vkubelet/source',
  '--import',
  tsResolveHook,
  cli,
];

describe('vkubelet-aci-emulator', () => {
  it('prints one JSON line a client configures itself from, serves, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [...nodeArgs, '--resource-group', 'cli-rg', '--location', 'eastus', '--pending-ms', '10'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
    try {
      const line = await new Promise<string>(resolve =>
        createInterface({ input: child.stdout }).once('line', resolve),
      );
      const printed = JSON.parse(line) as Record<string, string>;
      expect(Object.keys(printed).sort()).toEqual(
        [
          'armEndpoint',
          'authorityHost',
          'caFile',
          'clientId',
          'clientSecret',
          'location',
          'resourceGroup',
          'subscriptionId',
          'tenantId',
        ].sort(),
      );
      expect(printed).toMatchObject({ resourceGroup: 'cli-rg', location: 'eastus' });
      const ca = readFileSync(printed['caFile']!, 'utf8');
      const tlsOptions = { ca };
      const credential = new ClientSecretCredential(
        printed['tenantId']!,
        printed['clientId']!,
        printed['clientSecret']!,
        {
          authorityHost: printed['authorityHost']!,
          disableInstanceDiscovery: true,
          tlsOptions,
        },
      );
      const client = new ContainerInstanceManagementClient(credential, printed['subscriptionId']!, {
        endpoint: printed['armEndpoint']!,
        tlsOptions,
      });
      const group = await client.containerGroups.beginCreateOrUpdateAndWait(
        'cli-rg',
        'from-cli',
        {
          location: 'eastus',
          osType: 'Linux',
          containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
        },
        { updateIntervalInMs: 20 },
      );
      expect(group.provisioningState).toBe('Succeeded');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(printed['caFile']!)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 2 with one line naming a bad flag', () => {
    const result = spawnSync(process.execPath, [...nodeArgs, '--page-size', 'many'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      'vkubelet-aci-emulator: --page-size must be a non-negative integer, got "many"',
    );
    expect(result.stdout).toBe('');
  });
});

describe('startAciEmulator', () => {
  it('is disposable: `await using` stops the servers and removes the CA file', async () => {
    const { startAciEmulator } = await import('../../src/index.js');
    let caFile: string;
    let endpoint = '';
    let ca = '';
    const connect = () =>
      new Promise<number | undefined>((resolve, reject) =>
        get(`${endpoint}/__emulator/state`, { ca }, res => resolve(res.resume().statusCode)).on(
          'error',
          reject,
        ),
      );
    {
      await using emulator = await startAciEmulator();
      ({ caFile, armEndpoint: endpoint, caPem: ca } = emulator);
      expect(readFileSync(caFile, 'utf8')).toBe(ca);
      expect(await connect()).toBe(200);
    }
    expect(existsSync(caFile)).toBe(false);
    await expect(connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses options that make no sense', async () => {
    const { startAciEmulator } = await import('../../src/index.js');
    await expect(startAciEmulator({ pageSize: 0 })).rejects.toThrow(/pageSize must be a positive integer/);
    await expect(startAciEmulator({ provisioning: { pendingMs: -1 } })).rejects.toThrow(
      /provisioning.pendingMs/,
    );
  });
});
