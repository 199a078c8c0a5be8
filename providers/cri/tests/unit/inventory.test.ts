import { describe, expect, it } from 'vitest';

import { criInventory } from '../../src/inventory.js';
import { Agent, busyboxPod, NODE, withPodRoot } from './support/agent.js';
import { MemoryRuntime } from './support/memory-runtime.js';

describe('criInventory', () => {
  it('lists what the runtime holds for the node, by pod UID, straight from the runtime', () =>
    withPodRoot(async podRoot => {
      const runtime = new MemoryRuntime();
      const agent = new Agent(runtime, podRoot);
      const one = await agent.create(busyboxPod('Always'));
      const two = await agent.create(busyboxPod('Never'));
      await agent.sync(one, 1);
      await agent.sync(two, 1);
      runtime.killSandbox(one.state.sandboxId);
      await agent.sync(one, 1);

      const inventory = await criInventory(runtime, NODE);
      expect([...inventory.keys()].sort()).toEqual([one.uid, two.uid].sort());
      expect(inventory.get(one.uid)).toEqual({
        uid: one.uid,
        namespace: 'default',
        name: one.name,
        sandboxes: [{ id: one.state.sandboxId, state: 'SANDBOX_READY', attempt: 1 }],
        containers: [
          {
            id: one.state.app[0]!.id,
            sandboxId: one.state.sandboxId,
            name: 'c',
            attempt: 1,
            state: 'CONTAINER_RUNNING',
          },
        ],
      });
      expect(inventory.get(two.uid)?.containers.map(c => c.state)).toEqual(['CONTAINER_RUNNING']);
      expect(await criInventory(runtime, 'another-node')).toEqual(new Map());
    }));
});
