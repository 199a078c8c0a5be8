import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage } from '@vkubelet/provider-kit';

import { decodeJwt } from '../../src/identity/jwt.js';
import { startAciEmulator, type AciEmulator } from '../../src/index.js';
import { clientFor, credentialFor, FAST, groupSpec, groupPath, rawRequest } from './helpers.js';

const SUBJECT = 'system:serviceaccount:vk-system:virtual-kubelet';
const ARM_SCOPE = 'https://management.azure.com/.default';

let emulator: AciEmulator;
beforeAll(async () => (emulator = await startAciEmulator({ ...FAST, federatedSubjects: [SUBJECT] })));
afterAll(() => emulator?.stop());

/** A credential that hands out a fixed token: how the tests send tokens ARM must refuse. */
function fixedToken(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}

function clientWith(credential: TokenCredential): ContainerInstanceManagementClient {
  return new ContainerInstanceManagementClient(credential, emulator.subscriptionId, {
    endpoint: emulator.armEndpoint,
    tlsOptions: { ca: emulator.caPem },
  });
}

const identityOptions = () => ({
  authorityHost: emulator.authorityHost,
  disableInstanceDiscovery: true,
  tlsOptions: { ca: emulator.caPem },
});

describe('Entra ID', () => {
  it('issues a v1 ARM token to ClientSecretCredential for the ARM scope', async () => {
    const token = await credentialFor(emulator).getToken(ARM_SCOPE);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    const claims = decodeJwt(token.token)!.payload;
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com',
      iss: `https://sts.windows.net/${emulator.tenantId}/`,
      tid: emulator.tenantId,
      appid: emulator.clientId,
      ver: '1.0',
    });
  });

  it("answers Entra's errors: wrong secret, unknown app, unknown tenant, unknown resource", async () => {
    const wrongSecret = new ClientSecretCredential(
      emulator.tenantId,
      emulator.clientId,
      'nope',
      identityOptions(),
    );
    await expect(wrongSecret.getToken(ARM_SCOPE)).rejects.toThrow(
      /AADSTS7000215: Invalid client secret provided/,
    );
    const unknownApp = new ClientSecretCredential(
      emulator.tenantId,
      '00000000-0000-0000-0000-000000000001',
      's',
      identityOptions(),
    );
    await expect(unknownApp.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS700016/);
    const otherTenant = new ClientSecretCredential(
      '11111111-1111-1111-1111-111111111111',
      emulator.clientId,
      's',
      identityOptions(),
    );
    // As with Entra, the tenant's OpenID metadata is not found, so MSAL cannot resolve its endpoints.
    await expect(otherTenant.getToken(ARM_SCOPE)).rejects.toThrow(/endpoints_resolution_error/);
    const metadata = await rawRequest(
      emulator,
      'GET',
      '/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration',
      {
        base: emulator.authorityHost,
        token: null,
      },
    );
    expect(metadata).toMatchObject({ status: 400, body: { error: 'invalid_tenant', error_codes: [90002] } });
    await expect(credentialFor(emulator).getToken('https://vault.azure.net/.default')).rejects.toThrow(
      /AADSTS500011/,
    );
  });

  it('serves the token error body Entra sends, with its trace fields', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emulator.clientId,
      client_secret: 'x',
      scope: ARM_SCOPE,
    });
    const response = await rawRequest(emulator, 'POST', `/${emulator.tenantId}/oauth2/v2.0/token`, {
      base: emulator.authorityHost,
      body: form.toString(),
      contentType: 'application/x-www-form-urlencoded',
      token: null,
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(response.body.error_description).toMatch(
      /^AADSTS7000215: .*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: /s,
    );
    expect(Object.keys(response.body).sort()).toEqual(
      [
        'correlation_id',
        'error',
        'error_codes',
        'error_description',
        'error_uri',
        'timestamp',
        'trace_id',
      ].sort(),
    );
  });

  it('authenticates a workload identity with a federated client assertion', async () => {
    const assertion = new ClientAssertionCredential(
      emulator.tenantId,
      emulator.clientId,
      async () => emulator.issueFederatedToken(SUBJECT),
      identityOptions(),
    );
    const groups = [];
    for await (const group of clientWith(assertion).containerGroups.list()) groups.push(group);
    expect(groups).toEqual([]);

    const dir = await mkdtemp(join(tmpdir(), 'aci-emulator-wi-'));
    try {
      const tokenFilePath = join(dir, 'token');
      await writeFile(tokenFilePath, emulator.issueFederatedToken(SUBJECT));
      const workload = new WorkloadIdentityCredential({
        tenantId: emulator.tenantId,
        clientId: emulator.clientId,
        tokenFilePath,
        ...identityOptions(),
      });
      expect(decodeJwt((await workload.getToken(ARM_SCOPE)).token)!.payload['appidacr']).toBe('2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const stranger = new ClientAssertionCredential(
      emulator.tenantId,
      emulator.clientId,
      async () => emulator.issueFederatedToken('system:serviceaccount:default:stranger'),
      identityOptions(),
    );
    await expect(stranger.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS700213/);
  });
});

describe('ARM bearer tokens', () => {
  it('accepts tokens for the production ARM audience and for the emulator endpoint', async () => {
    const production = new ContainerInstanceManagementClient(
      credentialFor(emulator),
      emulator.subscriptionId,
      {
        endpoint: emulator.armEndpoint,
        credentialScopes: [ARM_SCOPE],
        tlsOptions: { ca: emulator.caPem },
      },
    );
    await expect(production.location.listUsage(emulator.location).next()).resolves.toMatchObject({
      done: false,
    });
    await expect(clientFor(emulator).location.listUsage(emulator.location).next()).resolves.toMatchObject({
      done: false,
    });
  });

  it('refuses a request without a token, with the challenge ARM sends', async () => {
    const response = await rawRequest(emulator, 'GET', `${groupPath(emulator, 'x')}?api-version=2023-05-01`, {
      token: null,
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: {
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is missing.",
      },
    });
    expect(response.headers['www-authenticate']).toBe(
      `Bearer authorization_uri="${emulator.authorityHost}/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    );
  });

  it.each([
    [
      'an expired token',
      { exp: Math.floor(Date.now() / 1000) - 60 },
      'ExpiredAuthenticationToken',
      /expiry UTC time .* is earlier than current UTC time/,
    ],
    [
      'a token for another resource',
      { aud: 'https://vault.azure.net' },
      'InvalidAuthenticationTokenAudience',
      /wrong audience or resource 'https:\/\/vault.azure.net'/,
    ],
    [
      'a token from another tenant',
      {
        tid: '22222222-2222-2222-2222-222222222222',
        iss: 'https://sts.windows.net/22222222-2222-2222-2222-222222222222/',
      },
      'InvalidAuthenticationTokenTenant',
      /wrong issuer 'https:\/\/sts.windows.net\/22222222-/,
    ],
  ])('refuses %s with its RestError code', async (_what, claims, code, message) => {
    const client = clientWith(fixedToken(emulator.issueAccessToken(claims)));
    const error = await client.containerGroups.get(emulator.resourceGroup, 'x').catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'RestError', statusCode: 401, code });
    expect(errorMessage(error)).toMatch(message);
  });

  it('refuses a token it did not sign', async () => {
    const [header, payload] = emulator.issueAccessToken().split('.');
    const forged = `${header}.${payload}.${Buffer.from('not a signature').toString('base64url')}`;
    await expect(
      clientWith(fixedToken(forged)).containerGroups.get(emulator.resourceGroup, 'x'),
    ).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationToken',
    });
  });
});

describe('a client in another process', () => {
  it('trusts the emulator through NODE_EXTRA_CA_CERTS and authenticates from the environment', async () => {
    await clientFor(emulator).containerGroups.beginCreateOrUpdateAndWait(
      emulator.resourceGroup,
      'from-parent',
      groupSpec(emulator.location),
      {
        updateIntervalInMs: 20,
      },
    );
    const script = fileURLToPath(new URL('fixtures/child-client.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script, emulator.armEndpoint], {
      env: { ...process.env, ...emulator.env },
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    expect(JSON.parse(stdout)).toEqual(['from-parent']);
  });
});
