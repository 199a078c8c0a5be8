import { ContainerGroup } from '../groups/group.js';
import {
  checkContainers,
  readContainers,
  readGroupName,
  readRegistryCredentials,
  readTags,
  readVolumes,
  RESTART_POLICIES,
} from '../groups/parse.js';
import type { ContainerSpec, GroupSpec } from '../groups/spec.js';
import { containersNeed, groupSpecification, MAX_CPU, MAX_MEMORY_GIB } from '../groups/specifications.js';
import { apiErrors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import type { ActionContext, EciService, Wire } from './context.js';

const NO_GPU_STOCK =
  'The resource is out of stock in the specified zone: no GPU-accelerated instance type is available.';

/** CreateContainerGroup: validates everything, then the group schedules asynchronously. */
export async function createContainerGroup({ service, params, raw }: ActionContext): Promise<Wire> {
  const spec = readCreateSpec(params, service);
  ContainerGroup.check(spec);
  if (params.boolean('DryRun')) throw apiErrors.dryRun();
  return service.clientTokens.once('CreateContainerGroup', params.string('ClientToken'), raw, () => {
    // The emulated region has no GPU stock: such a request is accepted and then cannot be placed.
    const wantsGpu = [...spec.containers, ...spec.initContainers].some(container => (container.gpu ?? 0) > 0);
    const failure = wantsGpu ? NO_GPU_STOCK : service.faults.takeScheduleFailure();
    const group = service.store.create(spec, failure);
    return { ContainerGroupId: group.id };
  });
}

function readCreateSpec(params: Params, service: EciService): GroupSpec {
  const name = readGroupName(params);
  const volumes = readVolumes(params);
  const containers = readContainers(params, 'Container');
  const initContainers = readContainers(params, 'InitContainer');
  checkContainers(containers, initContainers, volumes);
  checkContainerResources(containers, 'Container');
  checkContainerResources(initContainers, 'InitContainer');
  const specification = groupSpecification(
    { cpu: params.number('Cpu', { min: 0 }), memory: params.number('Memory', { min: 0 }) },
    containersNeed(containers, initContainers),
  );
  const zoneId = params.string('ZoneId') || service.zones[0]!;
  if (!service.zones.includes(zoneId)) {
    throw apiErrors.invalidParameter('ZoneId', `Zones of ${service.regionId}: ${service.zones.join(', ')}.`);
  }
  const activeDeadlineSeconds = params.integer('ActiveDeadlineSeconds', { min: 1 });
  const terminationGracePeriodSeconds = params.integer('TerminationGracePeriodSeconds', { min: 0 });
  const optional = (key: string) => {
    const value = params.string(key);
    return value ? { [key.charAt(0).toLowerCase() + key.slice(1)]: value } : {};
  };
  return {
    name,
    restartPolicy: params.enumeration('RestartPolicy', RESTART_POLICIES) ?? 'Always',
    containers,
    initContainers,
    volumes,
    tags: readTags(params),
    imageRegistryCredentials: readRegistryCredentials(params),
    cpu: specification.cpu,
    memory: specification.memory,
    securityGroupId: checkNetworkId(
      params,
      'SecurityGroupId',
      service.securityGroupIds,
      'sg-emulator0000000001',
    ),
    vSwitchId: checkNetworkId(params, 'VSwitchId', service.vSwitchIds, 'vsw-emulator0000000001'),
    zoneId,
    ...(activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds } : {}),
    ...(terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds } : {}),
    ...optional('DnsPolicy'),
    ...optional('HostName'),
    ...optional('InstanceType'),
    ...optional('ResourceGroupId'),
  };
}

/** A single container beyond the largest specification can never run; name its parameter. */
export function checkContainerResources(containers: readonly ContainerSpec[], key: string): void {
  containers.forEach((container, index) => {
    if ((container.cpu ?? 0) > MAX_CPU) {
      throw apiErrors.invalidParameter(
        `${key}.${index + 1}.Cpu`,
        `At most ${MAX_CPU} vCPUs per container group.`,
      );
    }
    if ((container.memory ?? 0) > MAX_MEMORY_GIB) {
      throw apiErrors.invalidParameter(
        `${key}.${index + 1}.Memory`,
        `At most ${MAX_MEMORY_GIB} GiB per container group.`,
      );
    }
  });
}

/** A vSwitch (several, comma-separated) or security group: one that exists when the region lists them. */
function checkNetworkId(
  params: Params,
  key: 'VSwitchId' | 'SecurityGroupId',
  known: ReadonlySet<string> | undefined,
  fallback: string,
): string {
  const value = params.string(key);
  if (!value) return known ? [...known][0]! : fallback;
  const ids = value.split(',').map(id => id.trim());
  if (key === 'SecurityGroupId' && ids.length > 1) throw apiErrors.invalidParameter(key);
  if (ids.length > 10) throw apiErrors.invalidParameter(key, 'At most 10 vSwitches.');
  for (const id of ids) {
    if (known && !known.has(id)) throw apiErrors.networkNotFound(key, id);
  }
  return value;
}
