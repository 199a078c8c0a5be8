import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

import { ALL_CAPABILITIES, runConformance } from '../../src/conformance/index.js';
import { MockBackend, MockProvider } from '../../src/mock/index.js';

// One backend for every instance: the persistence check's second provider is a "restarted agent".
const backend = new MockBackend();
afterAll(() => backend.close());

runConformance({
  name: 'mock',
  createProvider: async () => new MockProvider({ backend, nodeName: 'vk-conformance-mock' }),
  capabilities: ALL_CAPABILITIES,
  listBackendResources: async () => backend.listResources(),
  timeouts: { podRunningMs: 5_000, podExitMs: 5_000, checkMs: 20_000 },
  report: { dir: fileURLToPath(new URL('../../../../conformance-reports', import.meta.url)) },
});
