import { KnownGpuSku } from '@azure/arm-containerinstance';

import { ArmError } from '../http/arm-error.js';
import type { ArmCall, Route } from '../http/router.js';
import { CONTAINER_INSTANCE, LOCATION_PATH, type ArmContext } from './context.js';

function location(ctx: ArmContext, call: ArmCall): string {
  const name = call.params['location']!.toLowerCase().replaceAll(' ', '');
  if (!ctx.settings.locations.includes(name)) {
    throw new ArmError(
      404,
      'LocationNotAvailableForResourceType',
      `The provided location '${call.params['location']}' is not available for resource type 'Microsoft.ContainerInstance/containerGroups'. ` +
        `List of available regions for the resource type is '${ctx.settings.locations.join(',')}'.`,
    );
  }
  return name;
}

function usages(ctx: ArmContext, call: ArmCall): Record<string, unknown> {
  const region = location(ctx, call);
  const usage = ctx.state.usage(region);
  const quota = ctx.settings.quota;
  const base = `/subscriptions/${ctx.settings.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${region}/usages`;
  const entry = (name: string, localized: string, current: number, limit: number) => ({
    id: `${base}/${name}`,
    unit: 'Count',
    currentValue: current,
    limit,
    name: { value: name, localizedValue: localized },
  });
  return {
    value: [
      entry('ContainerGroups', 'Container Groups', usage.containerGroups, quota.containerGroups),
      entry('StandardCores', 'Standard Cores', usage.standardCores, quota.standardCores),
      ...Object.values(KnownGpuSku).map(sku =>
        entry(
          `Standard${sku}Cores`,
          `Standard ${sku} Cores`,
          usage.gpuCores[sku] ?? 0,
          quota.gpuCores[sku] ?? 0,
        ),
      ),
    ],
  };
}

function capabilities(ctx: ArmContext, call: ArmCall): Record<string, unknown> {
  const region = location(ctx, call);
  const { maxCpu, maxMemoryInGB, maxGpuCount } = ctx.settings.capabilities;
  const value = [];
  for (const osType of ['Linux', 'Windows']) {
    for (const ipAddressType of ['Public', 'Private']) {
      value.push({
        resourceType: 'containerGroups',
        osType,
        location: region,
        ipAddressType,
        gpu: 'None',
        capabilities: { maxMemoryInGB, maxCpu, maxGpuCount: 0 },
      });
    }
  }
  for (const gpu of Object.values(KnownGpuSku)) {
    value.push({
      resourceType: 'containerGroups',
      osType: 'Linux',
      location: region,
      ipAddressType: 'Public',
      gpu,
      capabilities: { maxMemoryInGB, maxCpu, maxGpuCount },
    });
  }
  return { value };
}

const OPERATIONS = [
  ['containerGroups/read', 'Get Container Group', 'Get all container goups.'],
  ['containerGroups/write', 'Create or Update Container Group', 'Create or Update any container group.'],
  ['containerGroups/delete', 'Delete Container Group', 'Delete the specific container group.'],
  ['containerGroups/restart/action', 'Restart Container Group', 'Restarts a specific container group.'],
  ['containerGroups/stop/action', 'Stop Container Group', 'Stops a specific container group.'],
  ['containerGroups/start/action', 'Start Container Group', 'Starts a specific container group.'],
  ['containerGroups/containers/logs/read', 'Get container logs', 'Get the logs for a specific container.'],
  ['containerGroups/containers/exec/action', 'Exec into container', 'Exec into a specific container.'],
  [
    'containerGroups/containers/attach/action',
    'Attach to container',
    'Attach to the output stream of a container.',
  ],
  ['locations/usages/read', 'Get usage', 'Get the usage for a specific location.'],
  ['locations/capabilities/read', 'Get capabilities', 'Get the capabilities for a specific location.'],
] as const;

/** Region resources (usages, capabilities, cached images) and the provider's operation list. */
export function locationRoutes(ctx: ArmContext): Route[] {
  return [
    {
      pattern: new RegExp(`${LOCATION_PATH}/usages$`, 'i'),
      methods: { GET: call => ({ status: 200, body: usages(ctx, call), model: 'UsageListResult' }) },
    },
    {
      pattern: new RegExp(`${LOCATION_PATH}/capabilities$`, 'i'),
      methods: {
        GET: call => ({ status: 200, body: capabilities(ctx, call), model: 'CapabilitiesListResult' }),
      },
    },
    {
      pattern: new RegExp(`${LOCATION_PATH}/cachedImages$`, 'i'),
      methods: {
        GET: call => {
          location(ctx, call);
          const value = [
            { osType: 'Linux', image: 'mcr.microsoft.com/azuredocs/aci-helloworld:latest' },
            { osType: 'Linux', image: 'busybox:latest' },
            { osType: 'Windows', image: 'mcr.microsoft.com/windows/servercore:ltsc2022' },
          ];
          return { status: 200, body: { value }, model: 'CachedImagesListResult' };
        },
      },
    },
    {
      pattern: new RegExp(String.raw`^/providers/${CONTAINER_INSTANCE}/operations$`, 'i'),
      methods: {
        GET: () => ({
          status: 200,
          body: {
            value: OPERATIONS.map(([name, operation, description]) => ({
              name: `Microsoft.ContainerInstance/${name}`,
              display: {
                provider: 'Microsoft Container Instance',
                resource: name.split('/')[0],
                operation,
                description,
              },
              origin: 'User',
            })),
          },
          model: 'OperationListResult',
        }),
      },
    },
  ];
}
