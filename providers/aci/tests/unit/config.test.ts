import { readFile } from 'node:fs/promises';

import { RestError } from '@azure/core-rest-pipeline';
import {
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { errorMessage, isInvalidInput, isNotFound, isTransient } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { createCredential, credentialKind } from '../../src/azure/credential.js';
import { toProviderError } from '../../src/azure/errors.js';
import { plugin } from '../../src/plugin.js';

const required = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'vk-rg',
  region: 'West Europe',
};

describe('aci config', () => {
  it('fills defaults around subscription, resource group and region', () => {
    expect(plugin.parseConfig(required)).toEqual({
      ...required,
      region: 'westeurope',
      operatingSystem: 'Linux',
      credential: 'auto',
      armEndpoint: 'https://management.azure.com',
      disableInstanceDiscovery: false,
      capacity: { memory: '4Ti' },
      defaults: { cpu: '1', memory: '1.5G', gpuSku: 'V100' },
      statusIntervalMs: 5000,
      syncConcurrency: 10,
      maxRetries: 5,
      exec: { exitCode: 'shell', shell: '/bin/sh' },
      logPollIntervalMs: 1000,
      metricsCacheMs: 30000,
    });
  });

  it('takes the usual environment variables', async () => {
    const env = {
      AZURE_SUBSCRIPTION_ID: required.subscriptionId,
      ACI_RESOURCE_GROUP: 'from-env',
      ACI_REGION: 'eastus',
      AZURE_TENANT_ID: 't',
      AZURE_CLIENT_ID: 'c',
      AZURE_CLIENT_SECRET: 's',
    };
    const config = await plugin.loadConfig({ env });
    expect(config).toMatchObject({
      resourceGroup: 'from-env',
      region: 'eastus',
      tenantId: 't',
      clientId: 'c',
      clientSecret: 's',
    });
  });

  it('lists every problem with its field path, on one line', () => {
    let error: unknown;
    try {
      plugin.parseConfig({
        subscriptionId: 'nope',
        resourceGroup: 'rg',
        region: 'west europe!',
        armEndpoint: 'http://insecure',
        subnetId: 'subnet-1',
        exec: { shell: '/bin/sh -l' },
        surprise: 1,
      });
    } catch (err) {
      error = err;
    }
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toBe(
      'aci provider config: subscriptionId: must be a subscription ID (a GUID); ' +
        'region: must be an Azure region name such as westeurope; armEndpoint: Invalid URL; ' +
        'subnetId: must be the resource ID of a virtual network subnet; exec.shell: must be one executable path; ' +
        'surprise: unknown field',
    );
  });

  it('documents every field in the README, generated from the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(plugin.configReference());
  });
});

describe('credentials', () => {
  const base = plugin.parseConfig({ ...required, tenantId: 't', clientId: 'c' });

  it('auto picks a client secret, else a federated token file, else the managed identity', () => {
    expect(credentialKind({ ...base, clientSecret: 's' })).toBe('clientSecret');
    expect(credentialKind({ ...base, federatedTokenFile: '/var/run/token' })).toBe('workloadIdentity');
    expect(credentialKind(base)).toBe('managedIdentity');
    expect(createCredential({ ...base, clientSecret: 's' }, {})).toBeInstanceOf(ClientSecretCredential);
    expect(createCredential({ ...base, federatedTokenFile: '/f' }, {})).toBeInstanceOf(
      WorkloadIdentityCredential,
    );
    expect(createCredential(base, {})).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('says which fields a chosen credential lacks', () => {
    expect(() => createCredential({ ...base, tenantId: undefined, credential: 'clientSecret' }, {})).toThrow(
      /^credential clientSecret needs tenantId and clientSecret/,
    );
  });
});

describe('ARM errors', () => {
  const rest = (statusCode: number, code: string) => new RestError('message', { statusCode, code });

  it('maps 404 to NotFound, a bad request to InvalidInput, a full quota and the rest to Transient', () => {
    expect(isNotFound(toProviderError(rest(404, 'ResourceNotFound'), 'get'))).toBe(true);
    const invalid = toProviderError(rest(400, 'InaccessibleImage'), 'ContainerGroups_CreateOrUpdate');
    expect(isInvalidInput(invalid)).toBe(true);
    expect(errorMessage(invalid)).toBe('ContainerGroups_CreateOrUpdate: InaccessibleImage: message');
    expect(isTransient(toProviderError(rest(400, 'ContainerGroupQuotaReached'), 'put'))).toBe(true);
    for (const status of [401, 409, 429, 500, 503])
      expect(isTransient(toProviderError(rest(status, 'X'), 'x'))).toBe(true);
    expect(isTransient(toProviderError(new Error('socket hang up'), 'x'))).toBe(true);
  });
});
