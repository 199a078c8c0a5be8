import { randomUUID } from 'node:crypto';

import { ArmError, invalidRequestContent } from '../http/arm-error.js';
import type { ContainerInstanceDefinition, Violation } from '../faithfulness/definition.js';
import type { EmulatorSettings } from '../options.js';
import { CONTAINER_GROUP_TYPE } from '../model/resource.js';
import type { WireContainer, WireGroupRequest, WirePort } from '../model/wire.js';

/** ACI's rule for container group and container names. */
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Images on the reserved `.invalid` TLD (RFC 2606) are refused as inaccessible, as ACI refuses an image it cannot resolve. */
const INACCESSIBLE_IMAGE = /^[^/]+\.invalid(:\d+)?\//;

const OS_TYPES = ['Linux', 'Windows'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const IP_TYPES = ['Public', 'Private'];
const PROTOCOLS = ['TCP', 'UDP'];

function canonical(value: string, allowed: readonly string[]): string | undefined {
  return allowed.find(candidate => candidate.toLowerCase() === value.toLowerCase());
}

export function checkContainerGroupName(name: string): void {
  if (name.length > 63 || !NAME_PATTERN.test(name)) {
    throw new ArmError(
      400,
      'InvalidContainerGroupName',
      `The container group name '${name}' is invalid. The container group name must contain no more than 63 characters ` +
        `and must match the regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?' (e.g. 'my-name').`,
    );
  }
}

/** ARM's deserializer refuses what the definition says cannot be: a missing required property, a wrong type. */
function schemaError(violations: Violation[]): ArmError | undefined {
  const first = violations.find(v => v.kind === 'missing-required' || v.kind === 'wrong-type');
  if (!first) return undefined;
  if (first.kind === 'missing-required') {
    const parent = first.path.includes('.') ? first.path.slice(0, first.path.lastIndexOf('.')) : '';
    const property = first.path.slice(first.path.lastIndexOf('.') + 1);
    return invalidRequestContent(`Required property '${property}' not found in JSON. Path '${parent}'`);
  }
  return invalidRequestContent(`Error converting value at path '${first.path}': ${first.message}`);
}

function checkPorts(ports: WirePort[], where: string): void {
  for (const port of ports) {
    if (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535) {
      throw new ArmError(
        400,
        'InvalidContainerPort',
        `The port '${port.port}' in ${where} is invalid. Ports must be between 1 and 65535.`,
      );
    }
    if (port.protocol !== undefined) {
      const protocol = canonical(port.protocol, PROTOCOLS);
      if (!protocol) {
        throw new ArmError(
          400,
          'InvalidProtocol',
          `The protocol '${port.protocol}' in ${where} is invalid. The valid values are 'TCP,UDP'.`,
        );
      }
      port.protocol = protocol;
    }
  }
}

function checkContainerName(name: string, group: string): void {
  if (name.length > 63 || !NAME_PATTERN.test(name)) {
    throw new ArmError(
      400,
      'InvalidContainerName',
      `The container name '${name}' in container group '${group}' is invalid. The container name must contain no more than 63 ` +
        `characters and must match the regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?' (e.g. 'my-name').`,
    );
  }
}

function checkResources(container: WireContainer, group: string): void {
  const { requests, limits } = container.properties.resources;
  for (const [kind, value] of [
    ['cpu', requests.cpu],
    ['memoryInGB', requests.memoryInGB],
  ] as const) {
    if (value === undefined || value <= 0) {
      throw new ArmError(
        400,
        'InvalidContainerResourceRequests',
        `The ${kind} request of container '${container.name}' in container group '${group}' must be greater than 0.`,
      );
    }
  }
  for (const kind of ['cpu', 'memoryInGB'] as const) {
    const limit = limits?.[kind];
    if (limit !== undefined && limit < (requests[kind] ?? 0)) {
      throw new ArmError(
        400,
        'InvalidContainerResourceLimits',
        `The ${kind} limit of container '${container.name}' in container group '${group}' must not be less than its request.`,
      );
    }
  }
}

/**
 * Checks a PUT body as ARM and ACI do, most general first: the schema (InvalidRequestContent), the
 * location, then ACI's own rules (names, OS, restart policy, resources, ports, volumes, images). A
 * valid body comes back normalized (enum casing, identity ids filled in).
 */
export function validateContainerGroup(
  name: string,
  body: unknown,
  settings: EmulatorSettings,
  definition: ContainerInstanceDefinition,
): WireGroupRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequestContent('The request body must be a JSON object.');
  }
  const schema = schemaError(definition.check('ContainerGroup', body, 'request'));
  if (schema) throw schema;
  const request = definition.prune('ContainerGroup', structuredClone(body)) as WireGroupRequest;
  if (!request.location) {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const location = request.location.toLowerCase().replaceAll(' ', '');
  if (!settings.locations.includes(location)) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${request.location}' is not available for resource type '${CONTAINER_GROUP_TYPE}'. ` +
        `List of available regions for the resource type is '${settings.locations.join(',')}'.`,
    );
  }
  request.location = location;
  checkContainerGroupName(name);
  const properties = request.properties;
  const osType = canonical(properties.osType, OS_TYPES);
  if (!osType) {
    throw new ArmError(
      400,
      'InvalidOsType',
      `The 'osType' '${properties.osType}' is not valid. The valid values are 'Linux,Windows'.`,
    );
  }
  properties.osType = osType;
  if (properties.restartPolicy !== undefined) {
    const policy = canonical(properties.restartPolicy, RESTART_POLICIES);
    if (!policy) {
      throw new ArmError(
        400,
        'InvalidRestartPolicy',
        `The restart policy '${properties.restartPolicy}' is not valid. The valid values are 'Always,OnFailure,Never'.`,
      );
    }
    properties.restartPolicy = policy;
  }
  if (properties.containers.length === 0) {
    throw new ArmError(
      400,
      'ContainerGroupContainersRequired',
      `The container group '${name}' must have at least one container.`,
    );
  }
  const seen = new Set<string>();
  const volumes = new Set((properties.volumes ?? []).map(volume => volume.name));
  for (const container of [...(properties.initContainers ?? []), ...properties.containers]) {
    checkContainerName(container.name, name);
    if (seen.has(container.name)) {
      throw new ArmError(
        400,
        'DuplicateContainerName',
        `Container names in container group '${name}' must be unique: '${container.name}' repeats.`,
      );
    }
    seen.add(container.name);
    for (const mount of container.properties.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) {
        throw new ArmError(
          400,
          'InvalidVolumeMount',
          `The volume mount '${mount.name}' of container '${container.name}' in container group '${name}' does not refer to a volume of the group.`,
        );
      }
    }
    const image = container.properties.image ?? '';
    if (INACCESSIBLE_IMAGE.test(image)) {
      throw new ArmError(
        400,
        'InaccessibleImage',
        `The image '${image}' in container group '${name}' is not accessible. Please check the image and registry credential.`,
      );
    }
  }
  let cpu = 0;
  let memory = 0;
  for (const container of properties.containers) {
    checkResources(container, name);
    checkPorts(container.properties.ports ?? [], `container '${container.name}'`);
    cpu += container.properties.resources.requests.cpu ?? 0;
    memory += container.properties.resources.requests.memoryInGB ?? 0;
  }
  if (cpu > settings.capabilities.maxCpu || memory > settings.capabilities.maxMemoryInGB) {
    throw new ArmError(
      400,
      'ResourceRequestsExceedMaxAllowed',
      `The container group '${name}' requests '${cpu}' CPU and '${memory}' GB memory; the maximum allowed in location ` +
        `'${location}' is '${settings.capabilities.maxCpu}' CPU and '${settings.capabilities.maxMemoryInGB}' GB memory for '${osType}' OS.`,
    );
  }
  const ipAddress = properties.ipAddress;
  if (ipAddress) {
    const type = canonical(ipAddress.type, IP_TYPES);
    if (!type) {
      throw new ArmError(
        400,
        'InvalidIpAddressType',
        `The IP address type '${ipAddress.type}' is not valid. The valid values are 'Public,Private'.`,
      );
    }
    ipAddress.type = type;
    checkPorts(ipAddress.ports, `the IP address of container group '${name}'`);
    const label = ipAddress.dnsNameLabel;
    if (label !== undefined && (label.length < 5 || label.length > 63 || !DNS_LABEL_PATTERN.test(label))) {
      throw new ArmError(
        400,
        'InvalidDnsNameLabel',
        `The DNS name label '${label}' in container group '${name}' is invalid. It can contain only lowercase letters, numbers and hyphens. ` +
          'The first character must be a letter. The last character must be a letter or number. The value must be between 5 and 63 characters long.',
      );
    }
  }
  const identityType = request.identity?.type;
  if (request.identity && identityType && identityType !== 'None') {
    const identity = request.identity as Record<string, unknown>;
    if (identityType.includes('SystemAssigned')) {
      identity['principalId'] = randomUUID();
      identity['tenantId'] = settings.tenantId;
    }
    for (const key of Object.keys(request.identity.userAssignedIdentities ?? {})) {
      request.identity.userAssignedIdentities![key] = { principalId: randomUUID(), clientId: randomUUID() };
    }
  }
  return request;
}
