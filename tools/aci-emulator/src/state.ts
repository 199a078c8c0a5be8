import { randomUUID } from 'node:crypto';

import { ArmError, resourceGroupNotFound, resourceNotFound, type ArmErrorBody } from './http/arm-error.js';
import type { Deployment } from './model/deployment.js';
import { ContainerGroupRecord, type GroupHost } from './model/group.js';
import { requestedCores, type WireGroupRequest } from './model/wire.js';
import type { EmulatorSettings } from './options.js';

export interface ResourceGroup {
  name: string;
  location: string;
  tags: Record<string, string>;
}

export interface StoredGroup {
  record: ContainerGroupRecord;
  location: string;
}

/** A long-running operation, polled through its `Azure-AsyncOperation` URL. */
export interface AsyncOperation {
  id: string;
  location: string;
  resourceId: string;
  startTime: Date;
  /** `Succeeded`, `Failed` or `Canceled` once over; anything else means it runs. */
  status(): { status: string; error?: ArmErrorBody };
}

/** The status a deployment's operation reports (its provisioning state). */
export function deploymentStatus(deployment: Deployment): { status: string; error?: ArmErrorBody } {
  return { status: deployment.state, ...(deployment.error ? { error: deployment.error } : {}) };
}

const OPERATION_TTL_MS = 3600_000;

/** Everything in the emulated subscription: resource groups, container groups, operations. */
export class EmulatorState {
  private readonly resourceGroups = new Map<string, ResourceGroup>();
  private readonly groups = new Map<string, StoredGroup>();
  private readonly operations = new Map<string, AsyncOperation>();
  private nextIp = 1;

  constructor(
    readonly settings: EmulatorSettings,
    private readonly host: GroupHost,
  ) {
    for (const name of settings.resourceGroups) this.putResourceGroup(name, settings.locations[0]!, {});
  }

  putResourceGroup(
    name: string,
    location: string,
    tags: Record<string, string>,
  ): { group: ResourceGroup; created: boolean } {
    const existing = this.resourceGroups.get(name.toLowerCase());
    const group = { name: existing?.name ?? name, location: existing?.location ?? location, tags };
    this.resourceGroups.set(name.toLowerCase(), group);
    return { group, created: !existing };
  }

  resourceGroup(name: string): ResourceGroup {
    const group = this.resourceGroups.get(name.toLowerCase());
    if (!group) throw resourceGroupNotFound(name);
    return group;
  }

  resourceGroupId(name: string): string {
    return `/subscriptions/${this.settings.subscriptionId}/resourceGroups/${this.resourceGroup(name).name}`;
  }

  findGroup(resourceGroup: string, name: string): StoredGroup | undefined {
    this.resourceGroup(resourceGroup);
    return this.groups.get(`${resourceGroup.toLowerCase()}/${name}`);
  }

  group(resourceGroup: string, name: string): StoredGroup {
    const stored = this.findGroup(resourceGroup, name);
    if (!stored) throw resourceNotFound(resourceGroup, name);
    return stored;
  }

  /** Container groups, in a resource group or the whole subscription, in a stable order. */
  listGroups(resourceGroup?: string): StoredGroup[] {
    const prefix =
      resourceGroup === undefined ? undefined : `${this.resourceGroup(resourceGroup).name.toLowerCase()}/`;
    return [...this.groups.entries()]
      .filter(([key]) => prefix === undefined || key.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, stored]) => stored);
  }

  /** Creates a container group (quota already checked) and starts its first deployment. */
  createGroup(resourceGroup: string, name: string, request: WireGroupRequest): StoredGroup {
    const id = `${this.resourceGroupId(resourceGroup)}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
    const ipType = request.properties.ipAddress?.type;
    const record = new ContainerGroupRecord(
      id,
      this.resourceGroup(resourceGroup).name,
      name,
      request,
      this.allocateIp(ipType),
      this.host,
    );
    const stored = { record, location: request.location };
    this.groups.set(`${resourceGroup.toLowerCase()}/${name}`, stored);
    record.deploy();
    return stored;
  }

  deleteGroup(stored: StoredGroup): void {
    stored.record.remove();
    this.groups.delete(`${stored.record.resourceGroup.toLowerCase()}/${stored.record.name}`);
  }

  /** Throws ContainerGroupQuotaReached when `request` would exceed a quota of its region. */
  checkQuota(request: WireGroupRequest, replacing?: StoredGroup): void {
    const usage = this.usage(request.location, replacing);
    const quota = this.settings.quota;
    const exceeded = (name: string, limit: number, used: number, requested: number) =>
      new ArmError(
        400,
        'ContainerGroupQuotaReached',
        `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota '${name}' exceeded in region '${request.location}'. ` +
          `Limit: '${limit}', Usage: '${used}' Requested: '${requested}'.`,
      );
    if (!replacing && usage.containerGroups + 1 > quota.containerGroups) {
      throw exceeded('ContainerGroups', quota.containerGroups, usage.containerGroups, 1);
    }
    const cores = requestedCores(request.properties);
    if (usage.standardCores + cores > quota.standardCores) {
      throw exceeded('StandardCores', quota.standardCores, usage.standardCores, cores);
    }
    for (const [sku, requested] of Object.entries(gpuCores(request))) {
      const limit = quota.gpuCores[sku] ?? 0;
      const used = usage.gpuCores[sku] ?? 0;
      if (used + requested > limit) throw exceeded(`Standard${sku}Cores`, limit, used, requested);
    }
  }

  /** What a region's groups use of its quotas (optionally leaving one group out, for an update). */
  usage(
    location: string,
    except?: StoredGroup,
  ): { containerGroups: number; standardCores: number; gpuCores: Record<string, number> } {
    const groups = [...this.groups.values()].filter(
      stored => stored.location === location && stored !== except,
    );
    const gpu: Record<string, number> = {};
    for (const stored of groups) {
      for (const [sku, count] of Object.entries(gpuCores(stored.record.request)))
        gpu[sku] = (gpu[sku] ?? 0) + count;
    }
    return {
      containerGroups: groups.length,
      standardCores: groups.reduce(
        (sum, stored) => sum + requestedCores(stored.record.request.properties),
        0,
      ),
      gpuCores: gpu,
    };
  }

  addOperation(location: string, resourceId: string, status: AsyncOperation['status']): AsyncOperation {
    // Operation URLs stay valid for an hour; older ones go, so a long-lived emulator stays small.
    const cutoff = Date.now() - OPERATION_TTL_MS;
    for (const [id, old] of this.operations) {
      if (old.startTime.getTime() >= cutoff) break;
      this.operations.delete(id);
    }
    const operation = { id: randomUUID(), location, resourceId, startTime: new Date(), status };
    this.operations.set(operation.id, operation);
    return operation;
  }

  operation(id: string): AsyncOperation | undefined {
    return this.operations.get(id);
  }

  /** Stops every container of every group (the emulator is shutting down). */
  shutdown(): void {
    for (const stored of this.groups.values()) stored.record.remove();
  }

  private allocateIp(type: string | undefined): string | undefined {
    if (!type) return undefined;
    const n = this.nextIp++;
    const [a, b] = [Math.floor(n / 250) % 250, (n % 250) + 1];
    // Public addresses look like Azure's (20.0.0.0/8); private ones come from the VNet range AKS
    // virtual nodes use. Nothing routes to either: ACI's network is not emulated.
    return type === 'Public' ? `20.50.${a}.${b}` : `10.240.${a}.${b}`;
  }
}

function gpuCores(request: WireGroupRequest): Record<string, number> {
  const cores: Record<string, number> = {};
  for (const container of request.properties.containers) {
    const gpu = container.properties.resources.requests.gpu;
    if (gpu) cores[gpu.sku] = (cores[gpu.sku] ?? 0) + gpu.count;
  }
  return cores;
}
