import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startNomadEmulator, type NomadEmulator } from '../../src/index.js';
import { api, job, register, waitForAllocs } from './helpers.js';

let emulator: NomadEmulator;
beforeEach(async () => {
  emulator = await startNomadEmulator({ namespaces: ['team-a', 'team-b'] });
});
afterEach(() => emulator.stop());

describe('blocking queries', () => {
  it('answer at once without an index, wait for a change with one, and time out with the same index', async () => {
    const first = await api(emulator, 'GET', '/v1/jobs');
    const index = Number(first.headers.get('x-nomad-index'));
    expect(index).toBeGreaterThanOrEqual(1);
    expect(first.headers.get('x-nomad-knownleader')).toBe('true');
    expect(first.headers.get('x-nomad-lastcontact')).toBe('0');

    const started = Date.now();
    const waiting = api(emulator, 'GET', `/v1/jobs?index=${index}&wait=5s`);
    await new Promise(resolve => setTimeout(resolve, 100));
    await register(emulator, job('watched', 'sleep 3600'));
    const changed = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(Number(changed.headers.get('x-nomad-index'))).toBeGreaterThan(index);
    expect(changed.body.map((stub: { ID: string }) => stub.ID)).toEqual(['watched']);

    await waitForAllocs(emulator, 'watched', ([a]) => a?.ClientStatus === 'running');
    const quiet = Number((await api(emulator, 'GET', '/v1/jobs')).headers.get('x-nomad-index'));
    const timedStart = Date.now();
    const timedOut = await api(emulator, 'GET', `/v1/jobs?index=${quiet}&wait=300ms`);
    const elapsed = Date.now() - timedStart;
    // The wait plus Nomad's jitter of up to wait/16.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 300 / 16 + 250);
    expect(Number(timedOut.headers.get('x-nomad-index'))).toBe(quiet);
  });

  it('refuses a malformed wait', async () => {
    expect(await api(emulator, 'GET', '/v1/jobs?index=1&wait=soon')).toMatchObject({
      status: 400,
      body: 'Invalid wait time',
    });
  });
});

describe('ACL, namespaces, regions', () => {
  it('answers 403 Permission denied without a token or with an unknown one', async () => {
    for (const token of [null, 'not-a-token']) {
      expect(await api(emulator, 'GET', '/v1/jobs', { token })).toMatchObject({
        status: 403,
        body: 'Permission denied',
      });
    }
    expect((await api(emulator, 'GET', '/v1/agent/health', { token: null })).status).toBe(200);
  });

  it('limits a client token to its namespace policy', async () => {
    const reader = emulator.createToken({ namespaces: { 'team-a': 'read' } });
    const writer = emulator.createToken({ namespaces: { 'team-*': 'write' } });
    const spec = job('ns-job', 'sleep 3600');
    expect(
      (await api(emulator, 'PUT', '/v1/jobs?namespace=team-a', { body: { Job: spec }, token: reader }))
        .status,
    ).toBe(403);
    expect(
      (await api(emulator, 'PUT', '/v1/jobs?namespace=team-a', { body: { Job: spec }, token: writer }))
        .status,
    ).toBe(200);
    expect(
      (await api(emulator, 'PUT', '/v1/jobs?namespace=default', { body: { Job: spec }, token: writer }))
        .status,
    ).toBe(403);
    await register(emulator, job('other', 'sleep 3600'), 'team-b');

    const readable = await api(emulator, 'GET', '/v1/job/ns-job?namespace=team-a', { token: reader });
    expect(readable.body).toMatchObject({ ID: 'ns-job', Namespace: 'team-a' });
    // Namespaces isolate jobs: the same ID elsewhere is another (here missing) job.
    expect((await api(emulator, 'GET', '/v1/job/ns-job?namespace=team-b')).status).toBe(404);
    const everywhere = await api(emulator, 'GET', '/v1/jobs?namespace=*', { token: reader });
    expect(everywhere.body.map((stub: { ID: string }) => stub.ID)).toEqual(['ns-job']);
    const all = await api(emulator, 'GET', '/v1/jobs?namespace=*');
    expect(all.body.map((stub: { Namespace: string }) => stub.Namespace)).toEqual(['team-a', 'team-b']);
    const namespaces = await api(emulator, 'GET', '/v1/namespaces', { token: reader });
    expect(namespaces.body.map((ns: { Name: string }) => ns.Name)).toEqual(['team-a']);
    expect((await api(emulator, 'GET', '/v1/nodes', { token: reader })).status).toBe(403);
    const self = await api(emulator, 'GET', '/v1/acl/token/self', { token: reader });
    expect(self.body).toMatchObject({ Type: 'client', SecretID: reader });
  });

  it('refuses jobs in a namespace that does not exist and requests for another region', async () => {
    const missing = await api(emulator, 'PUT', '/v1/jobs?namespace=nowhere', {
      body: { Job: job('x', 'true') },
    });
    expect(missing).toMatchObject({ status: 500, body: 'job "x" is in nonexistent namespace "nowhere"' });
    expect(await api(emulator, 'GET', '/v1/jobs?region=eu')).toMatchObject({
      status: 500,
      body: 'No path to region',
    });
    const foreign = await api(emulator, 'PUT', '/v1/jobs', {
      body: { Job: { ...job('y', 'true'), Region: 'eu' } },
    });
    expect(foreign).toMatchObject({ status: 500, body: 'No path to region' });
  });
});

describe('fault switches', () => {
  it('without a leader, server endpoints answer 500 and the leader is unknown; stale reads still work', async () => {
    emulator.faults.setLeader(false);
    expect(await api(emulator, 'GET', '/v1/jobs')).toMatchObject({ status: 500, body: 'No cluster leader' });
    expect((await api(emulator, 'GET', '/v1/status/leader')).body).toBe('');
    const stale = await api(emulator, 'GET', '/v1/jobs?stale');
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-nomad-knownleader')).toBe('false');
    expect((await api(emulator, 'GET', '/v1/agent/health', { token: null })).status).toBe(500);
    emulator.faults.clear();
    expect((await api(emulator, 'GET', '/v1/jobs')).status).toBe(200);
  });

  it('injects error answers for matching requests, a given number of times', async () => {
    emulator.faults.failRequests({ path: '/v1/jobs', method: 'PUT', count: 2 });
    const spec = { body: { Job: job('retry', 'sleep 1') } };
    expect(await api(emulator, 'PUT', '/v1/jobs', spec)).toMatchObject({
      status: 500,
      body: 'rpc error: injected fault',
    });
    expect((await api(emulator, 'GET', '/v1/jobs')).status).toBe(200);
    expect((await api(emulator, 'PUT', '/v1/jobs', spec)).status).toBe(500);
    expect((await api(emulator, 'PUT', '/v1/jobs', spec)).status).toBe(200);
  });
});
