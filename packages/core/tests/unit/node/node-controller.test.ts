import type { V1Node } from '@kubernetes/client-node';
import { noopLogger, noopMeter } from '@vkubelet/provider-kit';
import { afterEach, describe, expect, it } from 'vitest';

import { KubeClient } from '../../../src/kube/client.js';
import { NodeController } from '../../../src/node/node-controller.js';
import { FakeApiServer } from '../kube/fake-api-server.js';

let api: FakeApiServer | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

function controller(server: FakeApiServer): NodeController {
  return new NodeController({
    client: KubeClient.create({ kubeConfig: server.kubeConfig() }),
    template: { metadata: { name: 'vk-1', labels: {} }, spec: {}, status: { conditions: [] } },
    provider: {},
    managedTaintKeys: [],
    logger: noopLogger,
    metrics: noopMeter,
  });
}

describe('NodeController.register', () => {
  it('retries while the API server is restarting, instead of failing the agent (soak: exit 1)', async () => {
    api = await FakeApiServer.start();
    let unavailable = 3;
    const node: V1Node = { metadata: { name: 'vk-1', uid: 'node-uid' } };
    api.route = (req, res) => {
      const status = unavailable-- > 0 ? 503 : req.method === 'GET' ? 404 : req.method === 'POST' ? 201 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status >= 400 ? '{}' : JSON.stringify(node));
    };
    const registered = await controller(api).register(AbortSignal.timeout(10_000));
    expect(registered.metadata?.uid).toBe('node-uid');
    expect(api.requests.map(r => r.method)).toEqual(['GET', 'GET', 'GET', 'GET', 'POST', 'PATCH']);
  });

  it('fails at once when the API server refuses the identity', async () => {
    api = await FakeApiServer.start();
    api.route = (_req, res) =>
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end('{"kind":"Status","message":"forbidden"}');
    await expect(controller(api).register(AbortSignal.timeout(10_000))).rejects.toThrow(/403/);
    expect(api.requests).toHaveLength(1);
  });
});
