import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { V1Pod } from '@kubernetes/client-node';
import { InvalidInputError, podIdentity, type CallOptions } from '@vkubelet/provider-kit';

import { appContainer, initContainer, type ContainerContext } from './containers.js';
import { containerGroupName, groupTags, type GroupOwner } from './naming.js';
import { groupNetwork, type NetworkSettings } from './network.js';
import { refuse } from './refuse.js';
import { registryCredentials } from './registry-credentials.js';
import { GPU_SKU_ANNOTATION, GPU_SKUS, type SizeDefaults } from './resources.js';
import { groupVolumes, type VolumeSources } from './volumes.js';

/** Everything the mapping needs besides the pod. */
export interface GroupSettings {
  owner: GroupOwner;
  region: string;
  operatingSystem: 'Linux' | 'Windows';
  defaults: SizeDefaults;
  network: Omit<NetworkSettings, 'operatingSystem'>;
  sources: Omit<VolumeSources, 'operatingSystem'>;
}

const RESTART_POLICIES = new Set(['Always', 'OnFailure', 'Never']);

/** Pod-level settings ACI has no way to carry. */
function refusePodFields(pod: V1Pod, settings: GroupSettings): void {
  const spec = pod.spec!;
  const os = spec.os?.name;
  if (os && os.toLowerCase() !== settings.operatingSystem.toLowerCase())
    refuse('spec.os.name', `this node runs ${settings.operatingSystem} container groups, not ${os}`);
  if (spec.hostNetwork) refuse('spec.hostNetwork', 'container groups get their own network');
  if (spec.hostPID) refuse('spec.hostPID', 'there is no host to share');
  if (spec.hostIPC) refuse('spec.hostIPC', 'there is no host to share');
  if (spec.hostUsers === false) refuse('spec.hostUsers', 'user namespaces cannot be chosen');
  if (spec.shareProcessNamespace) refuse('spec.shareProcessNamespace', 'containers do not share processes');
  if (spec.hostAliases?.length) refuse('spec.hostAliases', '/etc/hosts cannot be changed');
  if (spec.runtimeClassName) refuse('spec.runtimeClassName', 'there is one runtime');
  if (spec.activeDeadlineSeconds !== undefined)
    refuse('spec.activeDeadlineSeconds', 'container groups are not stopped after a deadline');
  if (spec.resourceClaims?.length) refuse('spec.resourceClaims', 'dynamic resources cannot be met');
  const security = spec.securityContext;
  if (security?.sysctls?.length) refuse('spec.securityContext.sysctls', 'sysctls cannot be set');
  if (security?.fsGroup !== undefined)
    refuse('spec.securityContext.fsGroup', 'volume ownership cannot be set');
  if (security?.supplementalGroups?.length)
    refuse('spec.securityContext.supplementalGroups', 'supplemental groups cannot be set');
  if (security?.seLinuxOptions) refuse('spec.securityContext.seLinuxOptions', 'SELinux labels cannot be set');
  if (security?.windowsOptions)
    refuse('spec.securityContext.windowsOptions', 'Windows security options cannot be set');
  const policy = spec.restartPolicy ?? 'Always';
  if (!RESTART_POLICIES.has(policy))
    throw new InvalidInputError(`spec.restartPolicy: unknown policy ${policy}`);
}

function gpuSku(pod: V1Pod, settings: GroupSettings): string | undefined {
  const sku = pod.metadata?.annotations?.[GPU_SKU_ANNOTATION];
  if (sku === undefined) return undefined;
  const known = GPU_SKUS.find(candidate => candidate.toLowerCase() === sku.toLowerCase());
  if (!known)
    refuse(
      `metadata.annotations[${GPU_SKU_ANNOTATION}]`,
      `unknown GPU SKU ${sku}; ACI offers ${GPU_SKUS.join(', ')}`,
    );
  if (settings.operatingSystem === 'Windows')
    refuse(`metadata.annotations[${GPU_SKU_ANNOTATION}]`, 'Windows groups get no GPUs');
  return known;
}

/** The volumes a Windows group leaves out: the service-account volume the API server injects. */
function droppedVolumes(pod: V1Pod, settings: GroupSettings): Set<string> {
  if (settings.operatingSystem !== 'Windows') return new Set();
  return new Set(
    (pod.spec?.volumes ?? [])
      .filter(volume => volume.projected?.sources?.some(source => source.serviceAccountToken))
      .map(volume => volume.name),
  );
}

/**
 * The container group a pod becomes, and its name. Everything the pod asks that ACI cannot do is
 * refused first, naming the field (InvalidInputError), before any Secret, ConfigMap or token is read;
 * then the volumes and registry credentials are read (TransientError while one is missing).
 */
export async function buildContainerGroup(
  pod: V1Pod,
  settings: GroupSettings,
  options: CallOptions,
): Promise<{ name: string; group: ContainerGroup }> {
  const identity = podIdentity(pod);
  const spec = pod.spec;
  if (!spec?.containers.length)
    throw new InvalidInputError('spec.containers: at least one container is required');
  refusePodFields(pod, settings);
  const dropped = droppedVolumes(pod, settings);
  const context: ContainerContext = {
    defaults: settings.defaults,
    gpuSku: gpuSku(pod, settings),
    volumes: new Set((spec.volumes ?? []).map(volume => volume.name).filter(name => !dropped.has(name))),
    dropped,
    podSecurity: spec.securityContext,
  };
  const containers = spec.containers.map((c, i) => appContainer(c, `spec.containers[${i}]`, context));
  const initContainers = (spec.initContainers ?? []).map((c, i) =>
    initContainer(c, `spec.initContainers[${i}]`, context),
  );
  if (settings.operatingSystem === 'Windows' && containers.some(c => c.resources.requests.gpu))
    refuse('spec.containers[*].resources.limits.nvidia.com/gpu', 'Windows groups get no GPUs');
  const network = groupNetwork(pod, containers, {
    ...settings.network,
    operatingSystem: settings.operatingSystem,
  });

  const { volumes } = await groupVolumes(
    pod,
    { ...settings.sources, operatingSystem: settings.operatingSystem },
    options,
  );
  const credentials = await registryCredentials(pod, settings.sources.resources);
  const group: ContainerGroup = {
    location: settings.region,
    tags: groupTags(identity, settings.owner),
    osType: settings.operatingSystem,
    restartPolicy: spec.restartPolicy ?? 'Always',
    containers,
    ...(initContainers.length > 0 ? { initContainers } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(credentials.length > 0 ? { imageRegistryCredentials: credentials } : {}),
    ...network,
  };
  return { name: containerGroupName(identity.namespace, identity.name), group };
}
