import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { uidOf } from '../session.js';
import type { ConformanceCheck } from './check.js';

const TERMINAL = new Set(['Succeeded', 'Failed']);

export const nodeChecks: ConformanceCheck[] = [
  {
    id: 'stats.summary',
    title: 'the stats summary has the kubelet shape, with CPU and memory of running pods',
    category: 'stats',
    requires: ['stats'],
    async run(session) {
      const pod = await session.create(
        session.pod('stats', { containers: [session.shell('app', 'sleep 3600')] }),
      );
      await session.waitForRunning(pod);
      const deadline = Date.now() + session.timeouts.podExitMs;
      for (;;) {
        const summary = await session.provider.getStatsSummary!({ signal: session.callSignal() });
        assert.equal(typeof summary.node.nodeName, 'string');
        assert.ok(summary.node.nodeName.length > 0, 'node.nodeName is empty');
        assert.ok(!Number.isNaN(Date.parse(summary.node.startTime)), 'node.startTime is not RFC 3339');
        assert.ok(Array.isArray(summary.pods), 'pods must be an array');
        const mine = summary.pods.find(p => p.podRef.uid === uidOf(pod));
        if (mine) {
          assert.equal(mine.podRef.name, pod.metadata?.name);
          assert.equal(mine.podRef.namespace, pod.metadata?.namespace);
          const app = mine.containers.find(c => c.name === 'app');
          assert.ok(app, 'the pod stats lack container app');
          assert.equal(typeof app.cpu?.usageNanoCores, 'number', 'container cpu.usageNanoCores');
          assert.equal(typeof app.memory?.workingSetBytes, 'number', 'container memory.workingSetBytes');
          assert.ok(!Number.isNaN(Date.parse(app.cpu?.time ?? '')), 'cpu.time is not RFC 3339');
          break;
        }
        if (Date.now() > deadline) assert.fail('the running pod never appeared in the stats summary');
        await sleep(200);
      }
      await session.delete(pod);
    },
  },
  {
    id: 'notifier.every-change',
    title: 'notifyPods reports Running, the exit and the deletion of a pod',
    category: 'notifier',
    requires: ['notifier', 'exitCodes'],
    async run(session) {
      assert.ok(session.provider.notifyPods, 'capability notifier declared but notifyPods is missing');
      const seen = new Map<string, V1Pod[]>();
      const stop = session.onNotify(pod => {
        const uid = pod.metadata?.uid ?? '';
        seen.set(uid, [...(seen.get(uid) ?? []), pod]);
      });
      try {
        const short = await session.create(
          session.pod('notify-exit', { containers: [session.shell('app', 'sleep 0.5; exit 0')] }),
        );
        const long = await session.create(
          session.pod('notify-del', { containers: [session.shell('app', 'sleep 3600')] }),
        );
        const phases = (pod: V1Pod) => (seen.get(uidOf(pod)) ?? []).map(p => p.status?.phase);
        const waitUntil = async (what: string, done: () => boolean) => {
          const deadline = Date.now() + session.timeouts.podRunningMs + session.timeouts.podExitMs;
          while (!done()) {
            if (Date.now() > deadline) assert.fail(`never notified: ${what}`);
            await sleep(25);
          }
        };
        await waitUntil('short pod Running', () => phases(short).includes('Running'));
        await waitUntil('short pod Succeeded', () => phases(short).includes('Succeeded'));
        const last = seen.get(uidOf(short))?.at(-1);
        assert.equal(last?.metadata?.name, short.metadata?.name, 'a notification must identify its pod');
        assert.equal(last?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
        await waitUntil('long pod Running', () => phases(long).includes('Running'));
        const before = seen.get(uidOf(long))?.length ?? 0;
        await session.delete(long);
        await waitUntil('long pod terminal after delete', () =>
          (seen.get(uidOf(long)) ?? []).slice(before).some(p => TERMINAL.has(p.status?.phase ?? '')),
        );
        await session.delete(short);
      } finally {
        stop();
      }
    },
  },
];
