import { fileURLToPath } from 'node:url';

import { startNomadEmulator, type NomadEmulator } from '@vkubelet/nomad-emulator';
import type { Provider } from '@vkubelet/provider-kit';
import { runConformance } from '@vkubelet/provider-kit/conformance';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, beforeAll } from 'vitest';

import { createNomadProvider } from '../../src/plugin.js';

const nodeName = 'vk-nomad-conformance';
let nomad: NomadEmulator;

beforeAll(async () => {
  // Mutual TLS and ACLs, as a production cluster runs: every request carries certificate and token.
  nomad = await startNomadEmulator({ tls: 'mutual', namespaces: ['vk'] });
}, 60_000);

afterAll(async () => {
  await nomad?.stop();
});

async function nomadProvider(): Promise<Provider> {
  const env = nomad.env();
  return createNomadProvider(fakeProviderContext({ nodeName, internalIP: '127.0.0.1' }), {
    config: {
      address: env['NOMAD_ADDR'],
      token: nomad.createToken({ namespaces: { vk: 'write' }, node: 'read', agent: 'read' }),
      namespace: 'vk',
      caCert: env['NOMAD_CACERT'],
      clientCert: env['NOMAD_CLIENT_CERT'],
      clientKey: env['NOMAD_CLIENT_KEY'],
      // Kubernetes' back-off is seconds; the suite waits for a restart or two.
      restart: { attempts: 3, delayMs: 200, intervalMs: 5_000 },
      blockingWaitMs: 30_000,
    },
  });
}

/** The suite's jobs Nomad still has or still runs allocations of: one entry per job. */
async function backendResources(): Promise<string[]> {
  const jobs = nomad
    .listResources()
    .map(resource => /^(?:job|alloc)\/vk\/(vk\.[^/]+)/.exec(resource)?.[1])
    .filter(job => job !== undefined);
  return [...new Set(jobs)];
}

runConformance({
  name: 'nomad',
  createProvider: nomadProvider,
  capabilities: {
    exitCodes: true,
    restartPolicies: true,
    initContainers: true,
    multiContainer: true,
    notifier: true,
    logs: true,
    followLogs: true,
    exec: true,
    stats: true,
    persistence: true,
    attach: false,
    portForward: false,
  },
  notApplicable: {
    attach: "Nomad has no API to attach to a task's main process (only exec of a new command)",
    portForward: 'Nomad has no API to forward a port into an allocation',
  },
  timeouts: { podRunningMs: 20_000, podExitMs: 20_000, checkMs: 60_000 },
  listBackendResources: backendResources,
  report: { dir: fileURLToPath(new URL('../../../../conformance-reports', import.meta.url)) },
});
