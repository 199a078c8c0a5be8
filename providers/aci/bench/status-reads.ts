// How the ACI provider should read the status of N container groups each round, measured against
// the emulator with the real SDK: one GET per group (instance views included) against a LIST of the
// resource group (pages of 100, no instance views, as Azure answers) followed by the GETs the LIST
// cannot replace. Prints requests and wall time per round.
// Run after building: tsc -b providers/aci tools/aci-emulator && node providers/aci/bench/status-reads.ts [--groups 25,100,250]
import { parseArgs } from 'node:util';

import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ClientSecretCredential } from '@azure/identity';
import { startAciEmulator } from '@vkubelet/aci-emulator';

const { values } = parseArgs({ options: { groups: { type: 'string', default: '25,100,250' } } });
const sizes = values.groups.split(',').map(Number);

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

for (const count of sizes) {
  const aci = await startAciEmulator({
    provisioning: { pendingMs: 10, creatingMs: 10 },
    quota: { containerGroups: count + 10, standardCores: count + 10 },
  });
  try {
    const credential = new ClientSecretCredential(aci.tenantId, aci.clientId, aci.clientSecret, {
      authorityHost: aci.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: aci.caPem },
    });
    const client = new ContainerInstanceManagementClient(credential, aci.subscriptionId, {
      endpoint: aci.armEndpoint,
      tlsOptions: { ca: aci.caPem },
    });
    const names = Array.from({ length: count }, (_, i) => `bench-${i}`);
    await inParallel(names, 10, name =>
      client.containerGroups.beginCreateOrUpdate(aci.resourceGroup, name, {
        location: aci.location,
        osType: 'Linux',
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'sleep 3600'],
            resources: { requests: { cpu: 1, memoryInGB: 1 } },
          },
        ],
      }),
    );
    const requests = () => aci.requests().length;

    let before = requests();
    let started = performance.now();
    await inParallel(names, 10, name => client.containerGroups.get(aci.resourceGroup, name));
    const get = { requests: requests() - before, ms: performance.now() - started };

    before = requests();
    started = performance.now();
    let withViews = 0;
    for await (const group of client.containerGroups.listByResourceGroup(aci.resourceGroup))
      if (group.instanceView) withViews++;
    const list = { requests: requests() - before, ms: performance.now() - started };
    before = requests();
    started = performance.now();
    await inParallel(names, 10, name => client.containerGroups.get(aci.resourceGroup, name));
    const listAndGet = {
      requests: list.requests + requests() - before,
      ms: list.ms + performance.now() - started,
    };

    console.log(
      `${count} groups: GET each ${get.requests} requests ${get.ms.toFixed(0)} ms; ` +
        `LIST ${list.requests} requests ${list.ms.toFixed(0)} ms (${withViews} with instance views); ` +
        `LIST + GET each ${listAndGet.requests} requests ${listAndGet.ms.toFixed(0)} ms`,
    );
  } finally {
    await aci.stop();
  }
}
