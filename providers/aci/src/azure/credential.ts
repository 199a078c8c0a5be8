import { readFile } from 'node:fs/promises';

import {
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { errorMessage, InvalidInputError } from '@vkubelet/provider-kit';

import type { AciConfig } from '../config.js';

/** TLS settings for every connection to Azure: the system CAs, plus the config's CA file. */
export interface AzureTls {
  /** PEM of the extra CA, when configured. */
  ca?: string;
}

export async function loadTls(config: Pick<AciConfig, 'caFile'>): Promise<AzureTls> {
  if (!config.caFile) return {};
  try {
    return { ca: await readFile(config.caFile, 'utf8') };
  } catch (err) {
    throw new InvalidInputError(`caFile: cannot read ${config.caFile}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

type CredentialKind = Exclude<AciConfig['credential'], 'auto'>;

/** Which credential `auto` picks: a client secret, else a federated token file, else the managed identity. */
export function credentialKind(config: AciConfig): CredentialKind {
  if (config.credential !== 'auto') return config.credential;
  if (config.clientSecret) return 'clientSecret';
  if (config.federatedTokenFile) return 'workloadIdentity';
  return 'managedIdentity';
}

function requireFields(config: AciConfig, kind: CredentialKind, fields: Array<keyof AciConfig>): void {
  const missing = fields.filter(field => !config[field]);
  if (missing.length > 0) {
    throw new InvalidInputError(
      `credential ${kind} needs ${missing.join(' and ')} (config fields, or AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE)`,
    );
  }
}

/**
 * The `@azure/identity` credential the config asks for: a service principal's secret, a workload
 * identity's federated token (AKS), or the managed identity of the machine. Private clouds and
 * emulators set the authority host and turn instance discovery off; the CA file applies here too.
 */
export function createCredential(config: AciConfig, tls: AzureTls): TokenCredential {
  const kind = credentialKind(config);
  const common = {
    ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
    ...(tls.ca ? { tlsOptions: { ca: tls.ca } } : {}),
  };
  const entra = { ...common, disableInstanceDiscovery: config.disableInstanceDiscovery };
  switch (kind) {
    case 'clientSecret':
      requireFields(config, kind, ['tenantId', 'clientId', 'clientSecret']);
      return new ClientSecretCredential(config.tenantId!, config.clientId!, config.clientSecret!, entra);
    case 'workloadIdentity':
      requireFields(config, kind, ['tenantId', 'clientId', 'federatedTokenFile']);
      return new WorkloadIdentityCredential({
        ...entra,
        tenantId: config.tenantId!,
        clientId: config.clientId!,
        tokenFilePath: config.federatedTokenFile!,
      });
    case 'managedIdentity':
      return config.clientId
        ? new ManagedIdentityCredential({ ...common, clientId: config.clientId })
        : new ManagedIdentityCredential(common);
  }
}
