import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { InvalidInputError, podIdentity, type ResourceLister } from '@vkubelet/provider-kit';

import type { ParamTree } from '../client/params.js';
import { groupName, podTags, type NodeScope } from '../identity.js';
import { mapContainer } from './containers.js';
import { refuse, refuseIf } from './refuse.js';
import { mapRegistryCredentials } from './registry-credentials.js';
import { groupSize, resourceAsk } from './resources.js';
import { checkPodSecurity } from './security.js';
import { mapVolumes, type PodReferences } from './volumes.js';

/** Pod annotation: ECI's `InstanceType` (an ECS type such as `ecs.gn6i-c4g1.xlarge`, for GPUs). */
export const INSTANCE_TYPE_ANNOTATION = 'eci.vkubelet.io/instance-type';

/** Where the groups go, from the provider config. */
export interface GroupSettings extends NodeScope {
  securityGroupId: string;
  vSwitchIds: readonly string[];
  zoneId?: string | undefined;
  resourceGroupId?: string | undefined;
}

export interface CreateRequest {
  /** CreateContainerGroup's parameters (before flattening). */
  params: ParamTree;
  /** Things the kubelet would report as Warning events (an image pull secret that is missing). */
  warnings: string[];
}

const RESTART_POLICIES = new Set(['Always', 'OnFailure', 'Never']);

/** The ConfigMaps and Secrets the pod's volumes and image pull secrets name, as core's caches hold them. */
export async function readPodReferences(pod: V1Pod, lister: ResourceLister): Promise<PodReferences> {
  const namespace = pod.metadata?.namespace ?? '';
  const spec = pod.spec;
  const configMapNames = new Set<string>();
  const secretNames = new Set<string>();
  for (const volume of spec?.volumes ?? []) {
    if (volume.configMap?.name) configMapNames.add(volume.configMap.name);
    if (volume.secret?.secretName) secretNames.add(volume.secret.secretName);
  }
  for (const reference of spec?.imagePullSecrets ?? []) if (reference.name) secretNames.add(reference.name);
  const read = async <T>(names: Set<string>, get: (name: string) => Promise<T | undefined>) => {
    const entries = await Promise.all([...names].map(async name => [name, await get(name)] as const));
    return new Map(entries.filter((entry): entry is readonly [string, Awaited<T>] => entry[1] !== undefined));
  };
  const [configMaps, secrets] = await Promise.all([
    read<V1ConfigMap>(configMapNames, name => lister.getConfigMap(namespace, name)),
    read<V1Secret>(secretNames, name => lister.getSecret(namespace, name)),
  ]);
  return { configMaps, secrets };
}

/** What the pod asks of the whole machine, in fields ECI has no counterpart for. */
function checkPodSpec(pod: V1Pod): void {
  const spec = pod.spec!;
  refuseIf(spec.hostNetwork, 'spec.hostNetwork', 'groups get their own network interface');
  refuseIf(spec.hostPID, 'spec.hostPID', 'there is no host to share');
  refuseIf(spec.hostIPC, 'spec.hostIPC', 'there is no host to share');
  refuseIf(spec.hostUsers === false, 'spec.hostUsers', 'ECI has no user namespaces');
  refuseIf(spec.shareProcessNamespace, 'spec.shareProcessNamespace', 'containers cannot share processes');
  refuseIf(spec.os?.name && spec.os.name !== 'linux', 'spec.os.name', 'ECI runs Linux');
  refuseIf(spec.runtimeClassName, 'spec.runtimeClassName', 'ECI has one runtime');
  refuseIf(spec.hostAliases?.length, 'spec.hostAliases', 'ECI takes no /etc/hosts entries here');
  refuseIf(spec.dnsConfig, 'spec.dnsConfig', 'ECI takes no DNS settings here');
  refuseIf(spec.dnsPolicy === 'None', 'spec.dnsPolicy', 'None needs dnsConfig');
  refuseIf(spec.setHostnameAsFQDN, 'spec.setHostnameAsFQDN', 'groups have a plain host name');
  refuseIf(spec.resourceClaims?.length, 'spec.resourceClaims', 'there are no dynamic resources');
  if (spec.restartPolicy && !RESTART_POLICIES.has(spec.restartPolicy)) {
    refuse('spec.restartPolicy', `${spec.restartPolicy} is not a restart policy`);
  }
  checkPodSecurity(spec.securityContext);
}

/**
 * Pod → CreateContainerGroup: one group per pod, named `<namespace>-<name>`, tagged with the
 * cluster, node and pod (namespace, name, UID), `ClientToken` = the pod's UID so a retried create
 * returns the same group. Validates everything before any request: a pod ECI cannot run is refused
 * (InvalidInputError naming the field) and leaves nothing behind.
 */
export function buildCreateRequest(
  pod: V1Pod,
  settings: GroupSettings,
  references: PodReferences,
): CreateRequest {
  const identity = podIdentity(pod);
  const spec = pod.spec;
  if (!spec?.containers?.length)
    throw new InvalidInputError('spec.containers: at least one container is required');
  checkPodSpec(pod);
  const { volumes, dropped } = mapVolumes(pod, references);
  const podSecurity = spec.securityContext;
  const init = (spec.initContainers ?? []).map((container, index) =>
    mapContainer(container, { path: `spec.initContainers[${index}]`, init: true, dropped, podSecurity }),
  );
  const app = spec.containers.map((container, index) =>
    mapContainer(container, { path: `spec.containers[${index}]`, init: false, dropped, podSecurity }),
  );
  const size = groupSize(
    app.map(container => container.ask),
    init.map(container => container.ask),
    spec.resources ? resourceAsk(spec.resources, 'spec.resources') : undefined,
  );
  const { credentials, warnings } = mapRegistryCredentials(pod, references);
  return {
    params: {
      ContainerGroupName: groupName(identity),
      ClientToken: identity.uid,
      RestartPolicy: spec.restartPolicy ?? 'Always',
      SecurityGroupId: settings.securityGroupId,
      VSwitchId: settings.vSwitchIds.join(','),
      ZoneId: settings.zoneId,
      ResourceGroupId: settings.resourceGroupId,
      InstanceType: pod.metadata?.annotations?.[INSTANCE_TYPE_ANNOTATION],
      Cpu: size?.cpu,
      Memory: size?.memory,
      ActiveDeadlineSeconds: spec.activeDeadlineSeconds,
      TerminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      HostName: spec.hostname,
      DnsPolicy: spec.dnsPolicy === 'Default' ? 'Default' : undefined,
      Tag: podTags(identity, settings),
      Container: app.map(container => container.params),
      InitContainer: init.map(container => container.params),
      Volume: volumes,
      ImageRegistryCredential: credentials,
    },
    warnings,
  };
}
