import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { applyLogOptions } from '../../logs.js';
import type { ContainerLogOptions } from '../../provider.js';
import { nameOf, namespaceOf, uidOf, type ConformanceSession } from '../session.js';
import type { ConformanceCheck } from './check.js';

const category = 'logs';
const SCRIPT = 'echo one; echo two; echo three; sleep 3600';
const BASE: ContainerLogOptions = { timestamps: false, follow: false, previous: false };

/** What `kubectl logs` would print: the provider's items through core's option handling. */
async function readLogs(
  session: ConformanceSession,
  pod: V1Pod,
  options: Partial<ContainerLogOptions>,
): Promise<string> {
  const merged = { ...BASE, ...options };
  const items = await session.provider.getContainerLogs!(
    { namespace: namespaceOf(pod), name: nameOf(pod), uid: uidOf(pod) },
    'app',
    { ...merged, signal: session.callSignal() },
  );
  const chunks: Buffer[] = [];
  for await (const chunk of applyLogOptions(items, merged)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the three-line pod and waits until its lines are in the log. */
async function loggingPod(session: ConformanceSession): Promise<{ pod: V1Pod; full: string }> {
  const pod = await session.create(session.pod('logs', { containers: [session.shell('app', SCRIPT)] }));
  await session.waitForRunning(pod);
  const deadline = Date.now() + session.timeouts.podExitMs;
  for (;;) {
    const full = await readLogs(session, pod, {});
    if (full.includes('three\n')) return { pod, full };
    if (Date.now() > deadline)
      assert.fail(`the log never showed the three lines; it holds: ${JSON.stringify(full)}`);
    await sleep(50);
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter(line => line.length > 0);
}

export const logChecks: ConformanceCheck[] = [
  {
    id: 'logs.read',
    title: 'logs hold the lines a container wrote, in order',
    category,
    requires: ['logs'],
    async run(session) {
      const { pod, full } = await loggingPod(session);
      const all = lines(full);
      const at = ['one', 'two', 'three'].map(line => all.indexOf(line));
      assert.ok(
        at.every((index, i) => index >= 0 && (i === 0 || index > at[i - 1]!)),
        `lines out of order: ${full}`,
      );
      await session.delete(pod);
    },
  },
  {
    id: 'logs.options',
    title: 'tailLines, limitBytes, sinceTime and timestamps give what the kubelet gives',
    category,
    requires: ['logs'],
    async run(session) {
      const { pod, full } = await loggingPod(session);
      assert.deepEqual(
        lines(await readLogs(session, pod, { tailLines: 2 })),
        ['two', 'three'],
        'tailLines=2',
      );
      assert.equal(await readLogs(session, pod, { tailLines: 0 }), '', 'tailLines=0 shows nothing');
      const limited = await readLogs(session, pod, { limitBytes: 5 });
      assert.equal(limited, full.slice(0, 5), 'limitBytes=5 keeps the first five bytes');
      const future = new Date(Date.now() + 60_000);
      assert.equal(
        await readLogs(session, pod, { sinceTime: future }),
        '',
        'sinceTime in the future shows nothing',
      );
      assert.equal(
        await readLogs(session, pod, { sinceSeconds: 3600 }),
        full,
        'sinceSeconds=3600 shows everything',
      );
      const stamped = lines(await readLogs(session, pod, { timestamps: true }));
      const threeLine = stamped.find(line => line.endsWith(' three'));
      assert.ok(threeLine, 'timestamps=true must keep the text after the timestamp');
      const stamp = new Date(threeLine.slice(0, threeLine.indexOf(' ')));
      assert.ok(Math.abs(stamp.getTime() - Date.now()) < 3_600_000, `bad timestamp on ${threeLine}`);
      await session.delete(pod);
    },
  },
  {
    id: 'logs.follow',
    title: 'follow streams lines written later and ends when the caller aborts',
    category,
    requires: ['logs', 'followLogs'],
    async run(session) {
      const pod = await session.create(
        session.pod('follow', {
          containers: [session.shell('app', 'echo early; sleep 1; echo later; sleep 3600')],
        }),
      );
      await session.waitForRunning(pod);
      const abort = new AbortController();
      const options = { ...BASE, follow: true };
      const items = await session.provider.getContainerLogs!(
        { namespace: namespaceOf(pod), name: nameOf(pod), uid: uidOf(pod) },
        'app',
        { ...options, signal: abort.signal },
      );
      let text = '';
      const reading = (async () => {
        for await (const chunk of applyLogOptions(items, options)) {
          text += chunk.toString('utf8');
          if (text.includes('later\n')) abort.abort();
        }
      })();
      const timeout = sleep(session.timeouts.podExitMs + 2_000, 'timeout' as const);
      const outcome = await Promise.race([reading.then(() => 'ended' as const), timeout]);
      abort.abort();
      assert.notEqual(
        outcome,
        'timeout',
        `the follow did not deliver "later" or did not end on abort; got ${JSON.stringify(text)}`,
      );
      assert.ok(
        text.includes('early\n') && text.includes('later\n'),
        `follow missed lines: ${JSON.stringify(text)}`,
      );
      await session.delete(pod);
    },
  },
];
