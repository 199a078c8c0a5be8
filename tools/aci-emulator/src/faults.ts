import { ArmError } from './http/arm-error.js';
import type { AciQuota, EmulatorSettings, ProvisioningDelays } from './options.js';

/** Which requests an injected fault hits; all of them by default. */
export interface RequestFilter {
  /** HTTP methods, e.g. `['PUT']`. */
  methods?: string[];
  /** A substring of the path, e.g. `/containerGroups/web` or `/logs`. */
  pathIncludes?: string;
}

/** How many requests a fault hits: a count, or every request for a while; one request by default. */
export interface FaultExtent {
  requests?: number;
  durationMs?: number;
}

interface Injection {
  filter: RequestFilter;
  remaining: number;
  until: number;
  error: () => ArmError;
}

/** The parts of the emulator fault switches act on. */
export interface FaultTargets {
  settings: EmulatorSettings;
  deleteContainerGroup(resourceGroup: string, name: string): boolean;
  exitContainer(resourceGroup: string, name: string, container: string, exitCode: number): boolean;
}

/**
 * Switches tests flip to make the emulator misbehave the way Azure does: throttling storms, server
 * errors, slow provisioning, exhausted quotas, failing image pulls, a group deleted behind the
 * client's back, a container that dies. Every switch takes one JSON object, so the admin API
 * (`POST /__emulator/faults/<name>`) can flip them for a child process too.
 */
export class FaultSwitches {
  private injections: Injection[] = [];
  private failingImages: string | undefined;
  private readonly initial: { provisioning: ProvisioningDelays; quota: AciQuota };

  constructor(private readonly targets: FaultTargets) {
    this.initial = structuredClone({
      provisioning: targets.settings.provisioning,
      quota: targets.settings.quota,
    });
  }

  /** Answers 429 with `Retry-After` (ARM's throttling) to the matching requests. */
  throttle(options: FaultExtent & RequestFilter & { retryAfterSeconds?: number } = {}): void {
    const retryAfter = options.retryAfterSeconds ?? 1;
    this.inject(options, () => {
      return new ArmError(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. ' +
          'For more information, refer to - https://aka.ms/srpthrottlinglimits',
        {
          headers: { 'Retry-After': String(retryAfter), 'x-ms-ratelimit-remaining-subscription-reads': '0' },
        },
      );
    });
  }

  /** Answers a server error (500 by default; 502, 503, 504 allowed) to the matching requests. */
  failRequests(options: FaultExtent & RequestFilter & { status?: number } = {}): void {
    const status = options.status ?? 500;
    if (![500, 502, 503, 504].includes(status))
      throw new RangeError(`status must be 500, 502, 503 or 504, got ${status}`);
    this.inject(options, () =>
      status === 503
        ? new ArmError(
            503,
            'ServiceUnavailable',
            'The service is temporarily unavailable. Please try again later.',
          )
        : new ArmError(
            status,
            'InternalServerError',
            `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}'.`,
          ),
    );
  }

  /** Slows (or speeds up) provisioning from now on: Pending and Creating times, DELETE time. */
  setProvisioningDelays(delays: Partial<ProvisioningDelays>): void {
    for (const [key, value] of Object.entries(delays)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new RangeError(`${key} must be a non-negative number`);
      }
    }
    Object.assign(this.targets.settings.provisioning, delays);
  }

  /** Changes the region quotas; `{ containerGroups: 0 }` makes every create fail with ContainerGroupQuotaReached. */
  setQuota(quota: Partial<Omit<AciQuota, 'gpuCores'>> & { gpuCores?: Record<string, number> }): void {
    const current = this.targets.settings.quota;
    Object.assign(current, { ...quota, gpuCores: { ...current.gpuCores, ...quota.gpuCores } });
  }

  /** Makes image pulls fail for images containing `imageIncludes` (the deployment then fails); `{}` heals. */
  failImagePulls(options: { imageIncludes?: string }): void {
    this.failingImages = options.imageIncludes || undefined;
  }

  /** Deletes a group behind the client's back (an eviction, someone else's `az container delete`). */
  deleteContainerGroup(options: { resourceGroup: string; name: string }): boolean {
    return this.targets.deleteContainerGroup(options.resourceGroup, options.name);
  }

  /** Makes a running container exit with `exitCode` (a crash, 137 for an OOM kill); its restart policy applies. */
  exitContainer(options: {
    resourceGroup: string;
    name: string;
    container: string;
    exitCode: number;
  }): boolean {
    if (!Number.isInteger(options.exitCode) || options.exitCode < 0 || options.exitCode > 255) {
      throw new RangeError('exitCode must be an integer in 0..255');
    }
    return this.targets.exitContainer(
      options.resourceGroup,
      options.name,
      options.container,
      options.exitCode,
    );
  }

  /** Clears injected errors and restores the starting delays, quotas and image pulls. */
  reset(): void {
    this.injections = [];
    this.failingImages = undefined;
    Object.assign(this.targets.settings.provisioning, this.initial.provisioning);
    Object.assign(this.targets.settings.quota, structuredClone(this.initial.quota));
  }

  /** The error an injected fault answers to this request, if any. */
  intercept(method: string, path: string): ArmError | undefined {
    const now = Date.now();
    this.injections = this.injections.filter(injection => injection.remaining > 0 && injection.until > now);
    const hit = this.injections.find(
      ({ filter }) =>
        (!filter.methods || filter.methods.some(m => m.toUpperCase() === method)) &&
        (!filter.pathIncludes || path.toLowerCase().includes(filter.pathIncludes.toLowerCase())),
    );
    if (!hit) return undefined;
    hit.remaining--;
    return hit.error();
  }

  imagePullFails(image: string): boolean {
    return this.failingImages !== undefined && image.includes(this.failingImages);
  }

  private inject(options: FaultExtent & RequestFilter, error: () => ArmError): void {
    const { requests, durationMs, methods, pathIncludes } = options;
    const byCount = requests ?? (durationMs === undefined ? 1 : Infinity);
    this.injections.push({
      filter: { ...(methods ? { methods } : {}), ...(pathIncludes ? { pathIncludes } : {}) },
      remaining: byCount,
      until: durationMs === undefined ? Infinity : Date.now() + durationMs,
      error,
    });
  }
}

/** Fault switch names the admin API accepts. */
export const FAULT_SWITCHES = [
  'throttle',
  'failRequests',
  'setProvisioningDelays',
  'setQuota',
  'failImagePulls',
  'deleteContainerGroup',
  'exitContainer',
  'reset',
] as const;
