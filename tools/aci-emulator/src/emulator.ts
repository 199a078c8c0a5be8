import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { handleAdmin } from './admin.js';
import type { ArmContext } from './arm/context.js';
import { ArmServer } from './arm/server.js';
import { ContainerInstanceDefinition } from './faithfulness/definition.js';
import { FaultSwitches } from './faults.js';
import type { BearerSettings } from './identity/bearer.js';
import { EntraId, FEDERATED_TOKEN_AUDIENCE } from './identity/entra.js';
import { TokenSigner, type JwtClaims } from './identity/jwt.js';
import { resolveOptions, type AciEmulatorOptions } from './options.js';
import { Recorder, type FaithfulnessViolation, type RecordedRequest } from './recorder.js';
import { EmulatorState } from './state.js';
import { StreamSessions } from './streams/sessions.js';
import { createEmulatorTls } from './tls.js';

/** A running ACI emulator; see README.md for how clients point at it. */
export interface AciEmulator {
  /** `https://127.0.0.1:<port>`: the SDK client's `endpoint`. */
  armEndpoint: string;
  /** `https://127.0.0.1:<port>`: the credential's `authorityHost` (Entra ID has its own port). */
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  /** The first resource group (created at start) and the first region. */
  resourceGroup: string;
  location: string;
  /** PEM file of the CA that signed the emulator's certificate (`NODE_EXTRA_CA_CERTS`, `tlsOptions.ca`). */
  caFile: string;
  caPem: string;
  /** Environment for a child process using `@azure/identity`'s environment credential and this CA. */
  env: Record<string, string>;
  faults: FaultSwitches;
  /** The ARM requests answered so far. */
  requests(): RecordedRequest[];
  /** Bodies that did not match the API definition (`direction` 'request': the client's fault). */
  faithfulnessViolations(direction?: 'request' | 'response'): FaithfulnessViolation[];
  /** Signs an ARM access token with any claim overridden (expired, wrong audience, wrong tenant...). */
  issueAccessToken(claims?: JwtClaims): string;
  /** Signs a federated token for a workload identity subject registered with `federatedSubjects`. */
  issueFederatedToken(subject: string, claims?: JwtClaims): string;
  createResourceGroup(name: string, location?: string): void;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the emulator: ARM (ContainerInstance, Monitor metrics, resource groups, exec/attach
 * WebSockets, admin API) on one HTTPS port, Entra ID on another, both under a fresh CA.
 */
export async function startAciEmulator(options: AciEmulatorOptions = {}): Promise<AciEmulator> {
  const settings = resolveOptions(options);
  const tls = await createEmulatorTls([
    'localhost',
    '127.0.0.1',
    '::1',
    urlHost(settings.host).replace(/^\[|\]$/g, ''),
  ]);
  const signer = await TokenSigner.create(randomUUID().replaceAll('-', '').slice(0, 27));
  const definition = ContainerInstanceDefinition.load();
  const endpoints = { arm: '', authority: '' };
  const recorder = new Recorder();

  const faultTargets = {
    settings,
    deleteContainerGroup: (resourceGroup: string, name: string): boolean => {
      const stored = state.findGroup(resourceGroup, name);
      if (stored) state.deleteGroup(stored);
      return stored !== undefined;
    },
    exitContainer: (resourceGroup: string, name: string, container: string, exitCode: number): boolean =>
      state.findGroup(resourceGroup, name)?.record.exitContainer(container, exitCode) ?? false,
  };
  const faults: FaultSwitches = new FaultSwitches(faultTargets);
  const state: EmulatorState = new EmulatorState(settings, {
    provisioningDelays: () => settings.provisioning,
    restartDelayMs: () => settings.restartDelayMs,
    imagePullFails: (image: string): boolean => faults.imagePullFails(image),
  });
  const streams = new StreamSessions({
    ttlMs: settings.streamSessionTtlMs,
    execCommand: settings.execCommand,
    findGroup: (resourceGroup, name) => {
      try {
        return state.findGroup(resourceGroup, name)?.record;
      } catch {
        return undefined;
      }
    },
  });
  const ctx: ArmContext = { state, settings, definition, streams, armEndpoint: () => endpoints.arm };
  const armResources = () => [
    'https://management.azure.com',
    'https://management.core.windows.net',
    endpoints.arm,
  ];
  const bearer: BearerSettings = {
    signer,
    tenantId: settings.tenantId,
    authorityHost: () => endpoints.authority,
    audiences: armResources,
  };
  const app = {
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    objectId: randomUUID(),
    federatedSubjects: settings.federatedSubjects,
  };
  const entra = new EntraId({
    tenantId: settings.tenantId,
    apps: [app],
    signer,
    federationIssuer: () => `${endpoints.authority}/federation`,
    authorityHost: () => endpoints.authority,
    resources: armResources,
    tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
  });
  const arm = new ArmServer({
    ctx,
    faults,
    recorder,
    bearer,
    admin: (req, res, url) => handleAdmin({ faults, recorder, state }, req, res, url),
  });

  const serverOptions = { cert: tls.certPem, key: tls.keyPem, keepAliveTimeout: 5_000 };
  const armServer = createServer(
    serverOptions,
    (req, res) => void arm.handle(req, res).catch(() => res.destroy()),
  );
  const loginServer = createServer(
    serverOptions,
    (req, res) => void entra.handle(req, res).catch(() => res.destroy()),
  );
  streams.listen(armServer);
  try {
    const host = urlHost(settings.host);
    endpoints.arm = `https://${host}:${await listen(armServer, settings.host, settings.port)}`;
    endpoints.authority = `https://${host}:${await listen(loginServer, settings.host, 0)}`;
  } catch (err) {
    armServer.close();
    loginServer.close();
    await tls.remove();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      streams.closeAll();
      state.shutdown();
      for (const server of [armServer, loginServer]) {
        server.close();
        server.closeAllConnections();
      }
      await tls.remove();
    })();
    return stopping;
  };

  return {
    armEndpoint: endpoints.arm,
    authorityHost: endpoints.authority,
    tenantId: settings.tenantId,
    subscriptionId: settings.subscriptionId,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    resourceGroup: settings.resourceGroups[0] ?? '',
    location: settings.locations[0]!,
    caFile: tls.caFile,
    caPem: tls.caPem,
    env: {
      AZURE_TENANT_ID: settings.tenantId,
      AZURE_CLIENT_ID: settings.clientId,
      AZURE_CLIENT_SECRET: settings.clientSecret,
      AZURE_SUBSCRIPTION_ID: settings.subscriptionId,
      AZURE_AUTHORITY_HOST: endpoints.authority,
      NODE_EXTRA_CA_CERTS: tls.caFile,
    },
    faults,
    requests: () => recorder.requests(),
    faithfulnessViolations: direction => recorder.faithfulnessViolations(direction),
    issueAccessToken: claims => entra.issueAccessToken(claims),
    issueFederatedToken: (subject, claims) =>
      entra.issueFederatedToken(subject, { aud: [FEDERATED_TOKEN_AUDIENCE], ...claims }),
    createResourceGroup: (name, location) =>
      void state.putResourceGroup(name, location ?? settings.locations[0]!, {}),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
