import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { ClientSecretCredential } from '@azure/identity';
import { setTimeout as sleep } from 'node:timers/promises';

import { startAciEmulator, type AciEmulator, type AciEmulatorOptions } from '../../src/index.js';

/** Provisioning fast enough for tests; pollers then wait on these timers. */
export const FAST: AciEmulatorOptions = {
  provisioning: { pendingMs: 30, creatingMs: 30 },
  restartDelayMs: 50,
};

/** The real client pair as an application configures it, pointed at the emulator. */
export function credentialFor(emulator: AciEmulator): ClientSecretCredential {
  return new ClientSecretCredential(emulator.tenantId, emulator.clientId, emulator.clientSecret, {
    authorityHost: emulator.authorityHost,
    // Instance discovery asks login.microsoftonline.com, which a private cloud (or this emulator) is not.
    disableInstanceDiscovery: true,
    tlsOptions: { ca: emulator.caPem },
  });
}

export function clientFor(
  emulator: AciEmulator,
  credential = credentialFor(emulator),
): ContainerInstanceManagementClient {
  return new ContainerInstanceManagementClient(credential, emulator.subscriptionId, {
    endpoint: emulator.armEndpoint,
    tlsOptions: { ca: emulator.caPem },
  });
}

export interface Harness {
  emulator: AciEmulator;
  client: ContainerInstanceManagementClient;
}

export async function startHarness(options: AciEmulatorOptions = {}): Promise<Harness> {
  const emulator = await startAciEmulator({ ...FAST, ...options });
  return { emulator, client: clientFor(emulator) };
}

/** A one-container group the way a provider would send it. */
export function groupSpec(
  location: string,
  container: { name?: string; image?: string; command?: string[] } = {},
  extra: Partial<ContainerGroup> = {},
): ContainerGroup {
  return {
    location,
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: container.name ?? 'app',
        image: container.image ?? 'busybox:1.36',
        ...(container.command ? { command: container.command } : {}),
        resources: { requests: { cpu: 0.5, memoryInGB: 0.5 } },
      },
    ],
    ...extra,
  };
}

/** Polls `read` until `accept` holds (or fails after `timeoutMs`). */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition never held; last value ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The decoded JSON body (the text when it is not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions index into arbitrary JSON
  body: any;
}

/** A hand-made HTTPS request to the emulator, for what the SDK would refuse to send. */
export async function rawRequest(
  emulator: AciEmulator,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; base?: string; contentType?: string } = {},
): Promise<RawResponse> {
  const { request } = await import('node:https');
  const url = new URL(path, options.base ?? emulator.armEndpoint);
  const token = options.token === undefined ? emulator.issueAccessToken() : options.token;
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: emulator.caPem,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The ARM path of a resource group's container group. */
export function groupPath(
  emulator: AciEmulator,
  name: string,
  resourceGroup = emulator.resourceGroup,
): string {
  return `/subscriptions/${emulator.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
}
