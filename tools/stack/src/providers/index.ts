// The providers the local stack can bring up, one entry each (see tools/stack/README.md).
import { aci } from './aci.js';
import { cri } from './cri.js';
import { eci } from './eci.js';
import type { ProviderEntry } from './entry.js';
import { fargate } from './fargate.js';
import { mock } from './mock.js';

export type { Backend, BackendContext, ProviderEntry } from './entry.js';

export const PROVIDERS: readonly ProviderEntry[] = [mock, cri, fargate, eci, aci];

/** Providers virtual-kubelet knows that have no stack entry yet (their backend is being written). */
export const PENDING_PROVIDERS = ['nomad'] as const;

export function findProvider(name: string): ProviderEntry | undefined {
  return PROVIDERS.find(entry => entry.name === name);
}
