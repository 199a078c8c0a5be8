// The pod controller with the shared MockProvider (provider-kit/mock): real container lifecycles
// (Pending -> Running -> Succeeded/Failed with exit codes) instead of the recording provider's
// instant Running, and an agent restart that keeps the backend.
import type { V1Pod } from '@kubernetes/client-node';
import { MockBackend, MockProvider } from '@vkubelet/provider-kit/mock';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KubeClient } from '../../../src/kube/client.js';
import { clientFor, eventually, podManifest, runController, type RunningController } from './harness.js';

const NODE = 'vk-mock';
let cp: ControlPlane;
let admin: KubeClient;
const backend = new MockBackend();
let running: RunningController;

const getPod = (name: string): Promise<V1Pod> =>
  admin.requestJson<V1Pod>('GET', `/api/v1/namespaces/default/pods/${name}`);

beforeAll(async () => {
  cp = await startControlPlane({ name: 'core-pod-mock', scheduler: false, controllerManager: false });
  admin = clientFor(cp.adminKubeconfigPath);
  running = await runController(
    await cp.nodeKubeconfig(NODE),
    NODE,
    new MockProvider({ backend, nodeName: NODE }),
  );
  await eventually(() => expect(running.controller.ready).toBe(true), 30_000, 'controller ready');
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await admin?.close();
  await cp?.stop();
});

describe('PodController with the shared mock provider', { timeout: 60_000 }, () => {
  it('writes the terminal status of a pod that exits, with its exit code, once', async () => {
    await admin.requestJson('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest('exits', NODE, {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: 'busybox:1',
            command: ['sh', '-c', 'echo $(GREETING); exit 3'],
            env: [{ name: 'GREETING', value: 'hi' }],
          },
        ],
      }),
    });
    const pod = await eventually(
      async () => {
        const current = await getPod('exits');
        if (current.status?.phase !== 'Failed') throw new Error(`phase ${current.status?.phase}`);
        return current;
      },
      30_000,
      'pod Failed',
    );
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    // The mock ran the command as resolved by core: $(GREETING) expanded before the provider saw it.
    expect(backend.get('default', 'exits')?.pod.spec?.containers[0]?.command).toEqual([
      'sh',
      '-c',
      'echo hi; exit 3',
    ]);
  });

  it('an agent restart over the same backend neither re-creates nor deletes running pods', async () => {
    await admin.requestJson('POST', '/api/v1/namespaces/default/pods', { body: podManifest('long', NODE) });
    await eventually(
      async () => expect((await getPod('long')).status?.phase).toBe('Running'),
      30_000,
      'Running',
    );
    const before = backend.get('default', 'long');
    await running.stop();
    running = await runController(
      await cp.nodeKubeconfig(NODE),
      NODE,
      new MockProvider({ backend, nodeName: NODE }),
    );
    await eventually(() => expect(running.controller.ready).toBe(true), 30_000, 'controller ready again');
    await new Promise(resolve => setTimeout(resolve, 1500));
    const after = backend.get('default', 'long');
    expect(after?.uid).toBe(before?.uid);
    expect(after).toBe(before);
    expect((await getPod('long')).status?.phase).toBe('Running');
  });
});
