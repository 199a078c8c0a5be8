import type { V1Lease } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';

import { KubeClient } from '../../../src/kube/client.js';
import { LeaderElector, LeadershipLostError, validateTimings } from '../../../src/leader/leader-elector.js';
import { FencedWriteError, WriteFence } from '../../../src/leader/write-fence.js';
import { FakeApiServer, type Route } from '../kube/fake-api-server.js';

const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk-1';
const TIMINGS = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 150 };

/** One Lease with resourceVersion semantics, shared by every fake API server of a test. */
class LeaseStore {
  lease: V1Lease | undefined;
  private version = 0;

  route(): Route {
    return (req, res) => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const conflict = () => json(409, { kind: 'Status', reason: 'Conflict', code: 409 });
      if (req.method === 'GET' && req.url.pathname === LEASE_PATH) {
        return this.lease ? json(200, this.lease) : json(404, { kind: 'Status', code: 404 });
      }
      const body = req.body ? (JSON.parse(req.body) as V1Lease) : undefined;
      if (req.method === 'POST' && body) {
        if (this.lease) return json(409, { kind: 'Status', reason: 'AlreadyExists', code: 409 });
        return json(201, this.store(body));
      }
      if (req.method === 'PUT' && body && req.url.pathname === LEASE_PATH) {
        if (!this.lease) return json(404, { kind: 'Status', code: 404 });
        if (body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) return conflict();
        return json(200, this.store(body));
      }
      json(404, { kind: 'Status', code: 404 });
    };
  }

  private store(lease: V1Lease): V1Lease {
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return this.lease;
  }
}

const servers: FakeApiServer[] = [];
const stops: (() => void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  for (const server of servers.splice(0)) await server.stop();
});

/** An agent's elector behind its own fake API server (so one can be cut off), on a shared Lease. */
async function agent(store: LeaseStore, identity: string) {
  const server = await FakeApiServer.start();
  servers.push(server);
  let cutOff = false;
  server.route = (req, res) => (cutOff ? res.writeHead(503).end() : store.route()(req, res));
  const client = KubeClient.create({ kubeConfig: server.kubeConfig() });
  const elector = new LeaderElector({
    client,
    namespace: 'kube-node-lease',
    name: 'vk-1',
    identity,
    ...TIMINGS,
  });
  const abort = new AbortController();
  stops.push(() => abort.abort());
  return {
    elector,
    abort,
    server,
    cutOff: () => (cutOff = true),
    /** A client for the agent's other writes, behind the elector's fence. */
    fenced: client.withWriteFence(elector.fence),
  };
}

describe('LeaderElector', () => {
  it('one agent holds the lease; the standby takes over at once when the holder releases it', async () => {
    const store = new LeaseStore();
    const one = await agent(store, 'one');
    await one.elector.acquire(one.abort.signal);
    const holding = one.elector.hold(one.abort.signal);
    expect(store.lease?.spec?.holderIdentity).toBe('one');

    const two = await agent(store, 'two');
    let twoLeads = false;
    const acquiring = two.elector.acquire(two.abort.signal).then(() => (twoLeads = true));
    await new Promise(resolve => setTimeout(resolve, 1_500));
    // The holder renewed all along, so the standby never saw the lease expire.
    expect(twoLeads).toBe(false);
    await expect(
      two.fenced.requestJson('POST', '/api/v1/namespaces/default/events', { body: {} }),
    ).rejects.toThrow(FencedWriteError);

    const released = Date.now();
    one.abort.abort();
    await holding;
    expect(one.elector.fence.isOpen).toBe(false);
    await acquiring;
    expect(Date.now() - released).toBeLessThan(TIMINGS.leaseDurationMs);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'two', leaseTransitions: 1 });
  });

  it('a holder that cannot renew stops writing at the renew deadline, before the standby takes over', async () => {
    const store = new LeaseStore();
    const one = await agent(store, 'one');
    await one.elector.acquire(one.abort.signal);
    const holding = one.elector.hold(one.abort.signal);
    let fencedAt = 0;
    one.elector.fence.signal.addEventListener('abort', () => (fencedAt = Date.now()));
    const two = await agent(store, 'two');
    const acquiring = two.elector.acquire(two.abort.signal);
    await new Promise(resolve => setTimeout(resolve, 300));

    const cut = Date.now();
    one.cutOff();
    await expect(holding).rejects.toThrow(LeadershipLostError);
    expect(fencedAt - cut).toBeLessThanOrEqual(TIMINGS.renewDeadlineMs + 50);
    await expect(one.fenced.requestJson('PATCH', '/api/v1/nodes/vk-1/status', { body: {} })).rejects.toThrow(
      /lost the leader lease/,
    );
    await acquiring;
    const tookOver = Date.now();
    expect(fencedAt).toBeLessThan(tookOver);
    expect(tookOver - cut).toBeLessThan(TIMINGS.leaseDurationMs + 3 * TIMINGS.retryPeriodMs + 300);
    expect(store.lease?.spec?.holderIdentity).toBe('two');
  });

  it('a fence closing aborts the write in flight', async () => {
    const server = await FakeApiServer.start();
    servers.push(server);
    server.route = () => {}; // never answers
    const fence = WriteFence.closed();
    fence.open();
    const client = KubeClient.create({ kubeConfig: server.kubeConfig() }).withWriteFence(fence);
    const write = client.requestJson('PATCH', '/api/v1/nodes/vk-1/status', { body: {} });
    await new Promise(resolve => setTimeout(resolve, 50));
    fence.close('lost the leader lease: test');
    await expect(write).rejects.toThrow(/lost the leader lease/);
    // Reads are never fenced.
    server.route = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    await expect(client.requestJson('GET', '/api/v1/nodes/vk-1')).resolves.toEqual({});
  });

  it('a Lease the identity may not write fails acquire() with the reason', async () => {
    const server = await FakeApiServer.start();
    servers.push(server);
    server.route = (_req, res) =>
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(
          '{"kind":"Status","code":403,"message":"can only access leases in the \\"kube-node-lease\\" system namespace"}',
        );
    const elector = new LeaderElector({
      client: KubeClient.create({ kubeConfig: server.kubeConfig() }),
      namespace: 'default',
      name: 'vk-1-leader',
      identity: 'one',
      ...TIMINGS,
    });
    await expect(elector.acquire(AbortSignal.timeout(5_000))).rejects.toThrow(
      /may not use the leader Lease default\/vk-1-leader: .*kube-node-lease/,
    );
  });

  it('checks its timings as client-go does', () => {
    expect(validateTimings(15_000, 10_000, 2_000)).toBeUndefined();
    expect(validateTimings(10_000, 10_000, 2_000)).toMatch(
      /lease duration must be longer than the renew deadline/,
    );
    expect(validateTimings(15_000, 2_000, 2_000)).toMatch(/renew deadline must be longer than 1.2/);
    expect(validateTimings(15_500, 10_000, 2_000)).toMatch(/whole number of seconds/);
    expect(validateTimings(15_000, 10_000, 0)).toMatch(/retry period must be longer than 0/);
  });
});
