import { fileURLToPath } from 'node:url';

import { startContainerd, type Containerd } from '@vkubelet/containerd';
import type { Provider } from '@vkubelet/provider-kit';
import { ALL_CAPABILITIES, runConformance } from '@vkubelet/provider-kit/conformance';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, beforeAll } from 'vitest';

import { CriClient } from '../../src/cri/client.js';
import { LABEL_NODE } from '../../src/labels.js';
import { CriProvider } from '../../src/provider.js';
import { testConfig } from '../integration/harness.js';

const nodeName = 'vk-cri-conformance';
const image = 'vkubelet.test/busybox:1';
let containerd: Containerd;
let cri: CriClient;

beforeAll(async () => {
  containerd = await startContainerd();
  cri = new CriClient(containerd.endpoint);
}, 60_000);

afterAll(async () => {
  cri?.close();
  await containerd?.stop();
});

async function criProvider(): Promise<Provider> {
  return CriProvider.create(
    fakeProviderContext({ nodeName, internalIP: '127.0.0.1' }),
    testConfig(containerd),
  );
}

/** Sandboxes and containers of this node still in containerd. */
async function backendResources(): Promise<string[]> {
  const sandboxes = await cri.listPodSandbox({ [LABEL_NODE]: nodeName });
  const containers = await cri.listContainers({ label_selector: { [LABEL_NODE]: nodeName } });
  return [...sandboxes.map(s => `sandbox/${s.id}`), ...containers.map(c => `container/${c.id}`)];
}

runConformance({
  name: 'cri',
  createProvider: criProvider,
  capabilities: ALL_CAPABILITIES,
  workloads: {
    shell: (name, script) => ({ name, image, command: ['sh', '-c', script] }),
    echoServer: (name, port) => ({
      name,
      image,
      // Debian's busybox nc has no -k; -ll with -e keeps serving after each connection.
      command: ['nc', '-ll', '-p', String(port), '-e', 'cat'],
      ports: [{ containerPort: port }],
    }),
  },
  timeouts: { podRunningMs: 20_000, podExitMs: 20_000, checkMs: 60_000 },
  parallelPods: 10,
  listBackendResources: backendResources,
  report: { dir: fileURLToPath(new URL('../../../../conformance-reports', import.meta.url)) },
});
