import { ContainerGroup } from '../groups/group.js';
import {
  checkContainers,
  readContainers,
  readRegistryCredentials,
  readTags,
  readVolumes,
  RESTART_POLICIES,
} from '../groups/parse.js';
import type { ContainerSpec, GroupSpec } from '../groups/spec.js';
import { containersNeed, groupSpecification } from '../groups/specifications.js';
import type { Params } from '../rpc/params.js';
import type { ActionContext, Wire } from './context.js';
import { checkContainerResources } from './create.js';

/** DeleteContainerGroup: stops the containers and forgets the group at once, in any state. */
export async function deleteContainerGroup({ service, params, raw }: ActionContext): Promise<Wire> {
  const id = params.requiredString('ContainerGroupId');
  params.boolean('Force');
  return service.clientTokens.once('DeleteContainerGroup', params.string('ClientToken'), raw, () => {
    service.store.require(id);
    service.store.delete(id);
    return {};
  });
}

/** RestartContainerGroup: only from Pending or Running; the group is Restarting, then starts again. */
export async function restartContainerGroup({ service, params, raw }: ActionContext): Promise<Wire> {
  const id = params.requiredString('ContainerGroupId');
  return service.clientTokens.once('RestartContainerGroup', params.string('ClientToken'), raw, () => {
    service.store.require(id).restart();
    return {};
  });
}

/**
 * UpdateContainerGroup: only from Pending or Running. `UpdateType` RenewUpdate (default) replaces
 * every list it is given; IncrementalUpdate changes only the members sent (containers matched by
 * Name). Changing containers, volumes, resources or the restart policy goes through Updating and
 * restarts the containers; a tag-only update does not.
 */
export async function updateContainerGroup({ service, params, raw }: ActionContext): Promise<Wire> {
  const id = params.requiredString('ContainerGroupId');
  const incremental =
    params.enumeration('UpdateType', ['RenewUpdate', 'IncrementalUpdate'] as const) === 'IncrementalUpdate';
  return service.clientTokens.once('UpdateContainerGroup', params.string('ClientToken'), raw, () => {
    const group = service.store.require(id);
    const spec = updatedSpec(group.spec, params, incremental);
    ContainerGroup.check(spec);
    const restart = RESTARTING.some(key => params.has(key));
    group.update(spec, restart);
    return {};
  });
}

/** What an update restarts the containers for (tags change in place). */
const RESTARTING = [
  'Container',
  'InitContainer',
  'Volume',
  'Cpu',
  'Memory',
  'RestartPolicy',
  'ImageRegistryCredential',
];

function updatedSpec(current: GroupSpec, params: Params, incremental: boolean): GroupSpec {
  const updated = (key: 'Container' | 'InitContainer', list: ContainerSpec[]) =>
    params.has(key)
      ? mergeContainers(list, readContainers(params, key, incremental ? list : []), incremental)
      : list;
  const containers = updated('Container', current.containers);
  const initContainers = updated('InitContainer', current.initContainers);
  const volumes = params.has('Volume') ? readVolumes(params) : current.volumes;
  checkContainers(containers, initContainers, volumes);
  checkContainerResources(containers, 'Container');
  checkContainerResources(initContainers, 'InitContainer');
  const specification = groupSpecification(
    {
      cpu: params.number('Cpu', { min: 0 }) ?? current.cpu,
      memory: params.number('Memory', { min: 0 }) ?? current.memory,
    },
    containersNeed(containers, initContainers),
  );
  return {
    ...current,
    containers,
    initContainers,
    volumes,
    cpu: specification.cpu,
    memory: specification.memory,
    restartPolicy: params.enumeration('RestartPolicy', RESTART_POLICIES) ?? current.restartPolicy,
    tags: params.has('Tag') ? mergeTags(current, params, incremental) : current.tags,
    imageRegistryCredentials: params.has('ImageRegistryCredential')
      ? readRegistryCredentials(params)
      : current.imageRegistryCredentials,
  };
}

/** Incremental: the sent containers replace those of the same name, the rest stay. Renew: the sent list. */
function mergeContainers(
  current: readonly ContainerSpec[],
  sent: ContainerSpec[],
  incremental: boolean,
): ContainerSpec[] {
  if (!incremental) return sent;
  const merged = current.map(container => sent.find(update => update.name === container.name) ?? container);
  return [...merged, ...sent.filter(update => !current.some(container => container.name === update.name))];
}

function mergeTags(current: GroupSpec, params: Params, incremental: boolean): GroupSpec['tags'] {
  const sent = readTags(params);
  if (!incremental) return sent;
  return [...current.tags.filter(tag => !sent.some(update => update.key === tag.key)), ...sent];
}
