// The providers the local stack can bring up, one entry each (see tools/stack/README.md).
import { cri } from './cri.js';
import { eci } from './eci.js';
import type { ProviderEntry } from './entry.js';
import { fargate } from './fargate.js';
import { mock } from './mock.js';

export type { Backend, BackendContext, ProviderEntry } from './entry.js';

export const PROVIDERS: readonly ProviderEntry[] = [mock, cri, fargate, eci];

/** Providers virtual-kubelet knows that have no stack entry yet (their backend is being written). */
export const PENDING_PROVIDERS = ['aci', 'nomad'] as const;

export function findProvider(name: string): ProviderEntry | undefined {
  return PROVIDERS.find(entry => entry.name === name);
}
