import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { isNotFound } from '../../errdefs/index.js';
import { nameOf, namespaceOf, uidOf } from '../session.js';
import type { ConformanceCheck } from './check.js';

export const scaleChecks: ConformanceCheck[] = [
  {
    id: 'scale.parallel',
    title: 'many pods created, run and deleted in parallel',
    category: 'scale',
    requires: [],
    async run(session) {
      const count = session.options.parallelPods ?? 20;
      const pods = Array.from({ length: count }, () =>
        session.pod('par', { containers: [session.shell('app', 'sleep 3600')] }),
      );
      await Promise.all(pods.map(pod => session.create(pod)));
      await Promise.all(pods.map(pod => session.waitForRunning(pod)));
      const listed = await session.provider.getPods({ signal: session.callSignal() });
      const uids = new Set(listed.map(p => p.metadata?.uid));
      assert.ok(
        pods.every(pod => uids.has(uidOf(pod))),
        'getPods misses some of the pods',
      );
      const ips = pods.map(pod => listed.find(p => p.metadata?.uid === uidOf(pod))?.status?.podIP);
      assert.equal(new Set(ips).size, count, `pod IPs must be distinct, got ${ips.join(', ')}`);
      await Promise.all(pods.map(pod => session.delete(pod)));
      await Promise.all(pods.map(pod => session.waitForGone(pod)));
    },
  },
  {
    id: 'scale.restart-finds-pods',
    title: 'a new provider instance (restarted agent) finds the running pods',
    category: 'scale',
    requires: ['persistence'],
    async run(session) {
      const pod = await session.create(
        session.pod('persist', { containers: [session.shell('app', 'sleep 3600')] }),
      );
      await session.waitForRunning(pod);
      const second = await session.options.createProvider();
      try {
        const listed = await second.getPods({ signal: session.callSignal() });
        const found = listed.find(p => p.metadata?.uid === uidOf(pod));
        assert.ok(found, 'the new instance does not list the pod');
        assert.equal(found.metadata?.name, nameOf(pod));
        const status = await second.getPodStatus(namespaceOf(pod), nameOf(pod), {
          signal: session.callSignal(),
        });
        assert.equal(status.phase, 'Running');
        await second.createPod(structuredClone(pod), { signal: session.callSignal() });
        const again = await second.getPods({ signal: session.callSignal() });
        assert.equal(
          again.filter(p => p.metadata?.name === nameOf(pod)).length,
          1,
          're-create after restart duplicated the pod',
        );
      } finally {
        await second.close?.();
      }
      await session.delete(pod);
    },
  },
  {
    id: 'cleanup.no-leftovers',
    title: 'after every pod is deleted the backend holds nothing for the node',
    category: 'cleanup',
    requires: [],
    needsBackendResources: true,
    async run(session) {
      await session.cleanup();
      const listed = await session.provider.getPods({ signal: session.callSignal() });
      for (const pod of listed.filter(p => p.metadata?.namespace === session.namespace)) {
        try {
          await session.provider.deletePod(pod, { signal: session.callSignal() });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const list = session.options.listBackendResources!;
      const deadline = Date.now() + session.timeouts.podExitMs;
      let left = await list();
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(100);
        left = await list();
      }
      assert.deepEqual(left, [], `the backend still holds: ${left.join(', ')}`);
    },
  },
];
