import { randomBytes, randomUUID } from 'node:crypto';

/** Per-subscription, per-region limits (what the usages API reports and PUT enforces). */
export interface AciQuota {
  containerGroups: number;
  standardCores: number;
  /** GPU cores per SKU (K80, P100, V100); 0 unless raised, as in a new subscription. */
  gpuCores: Record<string, number>;
}

/** The largest group a region's capabilities allow (`capabilities` API; PUT refuses larger ones). */
export interface AciCapabilities {
  maxCpu: number;
  maxMemoryInGB: number;
  maxGpuCount: number;
}

export interface ProvisioningDelays {
  /** How long a new deployment stays Pending. */
  pendingMs: number;
  /** How long it stays Creating (at least; it also waits for a container to start). */
  creatingMs: number;
  /** How long a DELETE takes; 0 answers 200 at once, more answers 202 and polls. */
  deleteMs: number;
}

/** How exec treats the `command` string: ACI runs it as one executable path (see README). */
export type ExecCommandMode = 'single-argv' | 'split-on-spaces';

export interface AciEmulatorOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port of the ARM endpoint (0 = any free port); Entra ID gets its own port. */
  port?: number;
  tenantId?: string;
  subscriptionId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Subjects of the app's federated credentials (workload identity), e.g. `system:serviceaccount:ns:sa`. */
  federatedSubjects?: string[];
  /** Resource groups that exist from the start; default `['vkubelet']`. More via PUT or the handle. */
  resourceGroups?: string[];
  /** Regions ACI offers; the first is the default. */
  locations?: string[];
  provisioning?: Partial<ProvisioningDelays>;
  /** Back-off before a container that exited is started again (restart policies). */
  restartDelayMs?: number;
  /** Items per page of LIST before a `nextLink`; default 100. */
  pageSize?: number;
  quota?: Partial<Omit<AciQuota, 'gpuCores'>> & { gpuCores?: Record<string, number> };
  capabilities?: Partial<AciCapabilities>;
  tokenLifetimeSeconds?: number;
  execCommand?: ExecCommandMode;
  /** How long an exec/attach password stays valid before the WebSocket connects; default 60 s. */
  streamSessionTtlMs?: number;
  /** Check every request and response body against the API definition and keep the violations; default true. */
  checkFaithfulness?: boolean;
}

export interface EmulatorSettings {
  host: string;
  port: number;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  federatedSubjects: string[];
  resourceGroups: string[];
  locations: string[];
  provisioning: ProvisioningDelays;
  restartDelayMs: number;
  pageSize: number;
  quota: AciQuota;
  capabilities: AciCapabilities;
  tokenLifetimeSeconds: number;
  execCommand: ExecCommandMode;
  streamSessionTtlMs: number;
  checkFaithfulness: boolean;
}

export const DEFAULT_LOCATIONS = [
  'westeurope',
  'northeurope',
  'eastus',
  'eastus2',
  'westus2',
  'westus3',
  'uksouth',
];

export const DEFAULT_PROVISIONING: ProvisioningDelays = { pendingMs: 100, creatingMs: 100, deleteMs: 0 };

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

/** Fills in defaults and checks the options (a bad option is a RangeError naming it). */
export function resolveOptions(options: AciEmulatorOptions = {}): EmulatorSettings {
  const provisioning = { ...DEFAULT_PROVISIONING, ...options.provisioning };
  for (const [key, value] of Object.entries(provisioning)) positive(`provisioning.${key}`, value);
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  const locations = (options.locations ?? DEFAULT_LOCATIONS).map(location =>
    location.toLowerCase().replaceAll(' ', ''),
  );
  if (locations.length === 0) throw new RangeError('locations must name at least one region');
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    tenantId: options.tenantId ?? randomUUID(),
    subscriptionId: options.subscriptionId ?? randomUUID(),
    clientId: options.clientId ?? randomUUID(),
    clientSecret: options.clientSecret ?? randomBytes(30).toString('base64url'),
    federatedSubjects: options.federatedSubjects ?? [],
    resourceGroups: options.resourceGroups ?? ['vkubelet'],
    locations,
    provisioning,
    restartDelayMs: positive('restartDelayMs', options.restartDelayMs ?? 200),
    pageSize,
    quota: {
      containerGroups: options.quota?.containerGroups ?? 100,
      standardCores: options.quota?.standardCores ?? 100,
      gpuCores: { K80: 0, P100: 0, V100: 0, ...options.quota?.gpuCores },
    },
    capabilities: { maxCpu: 4, maxMemoryInGB: 16, maxGpuCount: 4, ...options.capabilities },
    tokenLifetimeSeconds: positive('tokenLifetimeSeconds', options.tokenLifetimeSeconds ?? 3600),
    execCommand: options.execCommand ?? 'single-argv',
    streamSessionTtlMs: positive('streamSessionTtlMs', options.streamSessionTtlMs ?? 60_000),
    checkFaithfulness: options.checkFaithfulness ?? true,
  };
}
