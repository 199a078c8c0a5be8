import { aciContainerState } from './instance-view.js';
import type { ContainerGroupRecord } from './group.js';
import type { WireEnvironmentVariable, WireGroupProperties, WirePort } from './wire.js';

export const CONTAINER_GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';

type Json = Record<string, unknown>;

/** Secure values never come back from ACI: a secure variable is returned by name only. */
function publicEnv(variables: WireEnvironmentVariable[] | undefined): Json[] {
  return (variables ?? []).map(variable =>
    variable.secureValue !== undefined
      ? { name: variable.name }
      : { name: variable.name, value: variable.value ?? '' },
  );
}

function ports(list: WirePort[] | undefined): Json[] {
  return (list ?? []).map(port => ({ protocol: port.protocol ?? 'TCP', port: port.port }));
}

function containerInstanceView(record: ContainerGroupRecord, name: string): Json | undefined {
  const events = record.containerEvents.get(name)?.list() ?? [];
  const run = record.container(name);
  if (!run) {
    // Pulling, or a pull that failed: the container has not been created.
    if (events.length === 0) return undefined;
    const failed = events.some(event => event.name === 'Failed');
    return {
      restartCount: 0,
      currentState: { state: 'Waiting', detailStatus: failed ? 'ErrImagePull' : 'ContainerCreating' },
      events,
    };
  }
  return {
    restartCount: run.restartCount,
    currentState: aciContainerState(run.state),
    ...(run.lastState ? { previousState: aciContainerState(run.lastState) } : {}),
    events,
  };
}

/** A container or init container as ACI returns it: public environment, instance view on GET. */
function containerBody(
  record: ContainerGroupRecord,
  name: string,
  properties: { environmentVariables?: WireEnvironmentVariable[] },
  instanceView: boolean,
  extra: Json = {},
): Json {
  const { environmentVariables, ...rest } = properties;
  const view = instanceView ? containerInstanceView(record, name) : undefined;
  return {
    name,
    properties: {
      ...rest,
      ...extra,
      environmentVariables: publicEnv(environmentVariables),
      ...(view ? { instanceView: view } : {}),
    },
  };
}

/** Volumes as ACI returns them: secret contents and storage keys are withheld. */
function publicVolumes(properties: WireGroupProperties): Json[] | undefined {
  return properties.volumes?.map(volume => {
    const { secret, azureFile, ...rest } = volume;
    const copy: Json = { ...rest };
    if (secret !== undefined) copy['secret'] = {};
    if (azureFile !== undefined) {
      const { storageAccountKey: _key, ...file } = azureFile;
      copy['azureFile'] = file;
    }
    return copy;
  });
}

/**
 * The ARM resource of a container group, as GET returns it (`instanceView: true`) or as LIST
 * returns each item (no instance views, as in Azure).
 */
export function groupResource(
  record: ContainerGroupRecord,
  location: string,
  options: { instanceView: boolean },
): Json {
  const request = record.request;
  const properties = request.properties;
  const {
    containers,
    initContainers,
    volumes: _volumes,
    imageRegistryCredentials,
    ipAddress,
    restartPolicy,
    sku,
    ...rest
  } = properties;
  const body: Json = {
    ...rest,
    sku: sku ?? 'Standard',
    provisioningState: record.provisioningState,
    containers: containers.map(container =>
      containerBody(record, container.name, container.properties, options.instanceView, {
        ports: ports(container.properties.ports),
      }),
    ),
    initContainers: (initContainers ?? []).map(container =>
      containerBody(record, container.name, container.properties, options.instanceView),
    ),
    restartPolicy: restartPolicy ?? 'Always',
  };
  const volumes = publicVolumes(properties);
  if (volumes) body['volumes'] = volumes;
  if (imageRegistryCredentials) {
    body['imageRegistryCredentials'] = imageRegistryCredentials.map(
      ({ password: _password, ...credential }) => credential,
    );
  }
  if (ipAddress) {
    body['ipAddress'] = {
      ...ipAddress,
      ports: ports(ipAddress.ports),
      ...(record.ip ? { ip: record.ip } : {}),
      ...(ipAddress.dnsNameLabel ? { fqdn: `${ipAddress.dnsNameLabel}.${location}.azurecontainer.io` } : {}),
    };
  }
  if (options.instanceView) body['instanceView'] = { events: record.groupEvents.list(), state: record.state };
  return {
    id: record.id,
    name: record.name,
    type: CONTAINER_GROUP_TYPE,
    location,
    tags: request.tags ?? {},
    ...(request.zones ? { zones: request.zones } : {}),
    ...(request.identity ? { identity: request.identity } : {}),
    properties: body,
  };
}
