import assert from 'node:assert/strict';

import { isNotFound } from '../../errdefs/index.js';
import { nameOf, namespaceOf, uidOf } from '../session.js';
import type { ConformanceCheck } from './check.js';

const category = 'lifecycle';

export const lifecycleChecks: ConformanceCheck[] = [
  {
    id: 'lifecycle.create-get',
    title: 'createPod then getPod returns the pod with its identity and spec',
    category,
    requires: [],
    async run(session) {
      const pod = await session.create(
        session.pod('get', { containers: [session.shell('app', 'sleep 3600')] }),
      );
      await session.waitForRunning(pod);
      const got = await session.provider.getPod(namespaceOf(pod), nameOf(pod), {
        signal: session.callSignal(),
      });
      assert.equal(got.metadata?.name, nameOf(pod));
      assert.equal(got.metadata?.namespace, namespaceOf(pod));
      assert.equal(got.metadata?.uid, uidOf(pod), 'getPod must return the UID the pod was created with');
      assert.deepEqual(
        got.spec?.containers.map(c => c.name),
        ['app'],
      );
      assert.equal(got.status?.phase, 'Running');
      await session.delete(pod);
    },
  },
  {
    id: 'lifecycle.list',
    title: 'getPods lists every pod once',
    category,
    requires: [],
    async run(session) {
      const pods = [
        session.pod('list', { containers: [session.shell('app', 'sleep 3600')] }),
        session.pod('list', { containers: [session.shell('app', 'sleep 3600')] }),
      ];
      await Promise.all(pods.map(pod => session.create(pod)));
      const listed = await session.provider.getPods({ signal: session.callSignal() });
      for (const pod of pods) {
        const matches = listed.filter(p => p.metadata?.uid === uidOf(pod));
        assert.equal(matches.length, 1, `getPods must list ${nameOf(pod)} exactly once`);
        assert.equal(matches[0]?.metadata?.name, nameOf(pod));
      }
      await Promise.all(pods.map(pod => session.delete(pod)));
    },
  },
  {
    id: 'lifecycle.update',
    title: 'updatePod applies new annotations and keeps the pod running',
    category,
    requires: [],
    async run(session) {
      const pod = await session.create(
        session.pod('update', { containers: [session.shell('app', 'sleep 3600')] }),
      );
      await session.waitForRunning(pod);
      const updated = structuredClone(pod);
      updated.metadata = { ...updated.metadata, annotations: { 'conformance.vkubelet.io/updated': 'yes' } };
      await session.provider.updatePod(updated, { signal: session.callSignal() });
      const got = await session.provider.getPod(namespaceOf(pod), nameOf(pod), {
        signal: session.callSignal(),
      });
      assert.equal(got.metadata?.uid, uidOf(pod));
      assert.equal(got.metadata?.annotations?.['conformance.vkubelet.io/updated'], 'yes');
      await session.waitForRunning(pod);
      await session.delete(pod);
    },
  },
  {
    id: 'lifecycle.delete',
    title: 'deletePod removes the pod: get and status answer NotFound, list omits it',
    category,
    requires: [],
    async run(session) {
      const pod = await session.create(
        session.pod('delete', { containers: [session.shell('app', 'sleep 3600')] }),
      );
      await session.waitForRunning(pod);
      await session.delete(pod);
      await session.waitForGone(pod);
      await assert.rejects(
        session.provider.getPod(namespaceOf(pod), nameOf(pod), { signal: session.callSignal() }),
        isNotFound,
        'getPod of a deleted pod must be a NotFoundError',
      );
      const listed = await session.provider.getPods({ signal: session.callSignal() });
      assert.equal(
        listed.filter(p => p.metadata?.uid === uidOf(pod)).length,
        0,
        'getPods still lists the pod',
      );
    },
  },
  {
    id: 'lifecycle.idempotent-create',
    title: 'creating the same pod (same UID) twice, even concurrently, runs one copy',
    category,
    requires: [],
    async run(session) {
      const pod = session.pod('twice', { containers: [session.shell('app', 'sleep 3600')] });
      await Promise.all([session.create(pod), session.create(pod)]);
      await session.waitForRunning(pod);
      await session.create(pod);
      const listed = await session.provider.getPods({ signal: session.callSignal() });
      const copies = listed.filter(p => p.metadata?.uid === uidOf(pod) || p.metadata?.name === nameOf(pod));
      assert.equal(copies.length, 1, `expected one copy of ${nameOf(pod)}, found ${copies.length}`);
      if (session.options.listBackendResources) {
        const resources = await session.options.listBackendResources();
        const mine = resources.filter(r => r.includes(nameOf(pod)) || r.includes(uidOf(pod)));
        assert.ok(mine.length <= 1, `backend holds ${mine.length} resources for one pod: ${mine.join(', ')}`);
      }
      await session.delete(pod);
    },
  },
  {
    id: 'errors.not-found',
    title: 'getPod, getPodStatus and deletePod of an unknown pod are NotFoundErrors',
    category: 'errors',
    requires: [],
    async run(session) {
      const ghost = session.pod('ghost', { containers: [session.shell('app', 'sleep 3600')] });
      const options = () => ({ signal: session.callSignal() });
      await assert.rejects(session.provider.getPod(namespaceOf(ghost), nameOf(ghost), options()), isNotFound);
      await assert.rejects(
        session.provider.getPodStatus(namespaceOf(ghost), nameOf(ghost), options()),
        isNotFound,
      );
      await assert.rejects(session.provider.deletePod(ghost, options()), isNotFound);
    },
  },
];
