import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nomadConnection, plugin } from '../../src/plugin.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nomad-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isInvalidInput(error)).toBe(true);
    return errorMessage(error);
  }
  throw new Error('no error');
}

describe('nomad config', () => {
  it("needs no file: the defaults are the Nomad CLI's", () => {
    expect(plugin.parseConfig({})).toEqual({
      address: 'http://127.0.0.1:4646',
      namespace: 'default',
      tlsSkipVerify: false,
      datacenters: ['*'],
      driver: 'docker',
      networkMode: 'bridge',
      exclusiveCores: false,
      jobPrefix: 'vk',
      priority: 50,
      restart: { attempts: 5, intervalMs: 300_000, delayMs: 10_000 },
      blockingWaitMs: 300_000,
    });
  });

  it('reads the connection from the NOMAD_* variables the CLI reads, the file winning', async () => {
    const env = {
      NOMAD_ADDR: 'https://nomad.example:4646',
      NOMAD_TOKEN: 'secret',
      NOMAD_NAMESPACE: 'apps',
      NOMAD_REGION: 'eu',
      NOMAD_CACERT: '/ca.pem',
      NOMAD_CLIENT_CERT: '/cli.pem',
      NOMAD_CLIENT_KEY: '/cli-key.pem',
      NOMAD_TLS_SERVER_NAME: 'server.eu.nomad',
      NOMAD_SKIP_VERIFY: 'true',
    };
    expect(await plugin.loadConfig({ env })).toMatchObject({
      address: 'https://nomad.example:4646',
      token: 'secret',
      namespace: 'apps',
      region: 'eu',
      caCert: '/ca.pem',
      clientCert: '/cli.pem',
      clientKey: '/cli-key.pem',
      tlsServerName: 'server.eu.nomad',
      tlsSkipVerify: true,
    });
    const file = join(dir, 'nomad.yaml');
    await writeFile(file, 'namespace: from-file\ndatacenters: [dc9]\n');
    expect(await plugin.loadConfig({ configPath: file, env })).toMatchObject({
      namespace: 'from-file',
      datacenters: ['dc9'],
      region: 'eu',
    });
  });

  it('names the variable or field of every problem, on one line', async () => {
    const error = await plugin
      .loadConfig({ env: { NOMAD_ADDR: '127.0.0.1:4646' } })
      .catch((err: unknown) => err as Error);
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toBe('NOMAD_ADDR: address: must be an http(s):// URL of a Nomad agent');
    expect(
      message(() =>
        plugin.parseConfig({
          jobPrefix: 'VK.',
          driver: 'java',
          restart: { attempts: 10, delayMs: 60_000, intervalMs: 300_000 },
          surprise: 1,
        }),
      ),
    ).toBe(
      'nomad provider config: driver: expected one of "docker"|"raw_exec"|"exec"; ' +
        'jobPrefix: must be 1-31 lowercase letters, digits or hyphens; ' +
        'restart: attempts × delayMs must fit in intervalMs (Nomad refuses the job otherwise); ' +
        'surprise: unknown field',
    );
    expect(message(() => plugin.parseConfig({ clientCert: '/c.pem' }))).toBe(
      'nomad provider config: clientKey: clientCert and clientKey go together (NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY)',
    );
  });

  it('reads the certificate files, and names the variable of one it cannot read', async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, 'PEM');
    const connection = await nomadConnection(plugin.parseConfig({ caCert: ca, token: 't' }));
    expect(connection).toMatchObject({ token: 't', namespace: 'default', tls: { ca: 'PEM' } });
    const error = await nomadConnection(plugin.parseConfig({ caCert: join(dir, 'absent.pem') })).catch(
      (err: unknown) => err as Error,
    );
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toMatch(/^caCert \(NOMAD_CACERT\): cannot read .*absent\.pem: ENOENT/);
  });

  it('documents every field in the README, generated from the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(plugin.configReference());
  });
});
