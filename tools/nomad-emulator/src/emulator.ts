import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

import { parseMockSettings, type MockSettingsInput } from '@vkubelet/provider-kit/mock';

import { Acl, type TokenRules } from './acl.js';
import type { NomadNode } from './api/types.js';
import { Cluster } from './cluster.js';
import { RequestFaults, type FailRequests } from './faults.js';
import { NomadApi } from './http/server.js';
import type { NodeOptions } from './state/nodes.js';
import { createEmulatorTls, type EmulatorTls } from './tls.js';

export interface NomadEmulatorOptions {
  /** Port on 127.0.0.1; default any free one. */
  port?: number;
  /** Default `global`. */
  region?: string;
  /** The default datacenter of nodes; default `dc1`. */
  datacenter?: string;
  /** Namespaces besides `default`. */
  namespaces?: string[];
  /** The client nodes, or how many default ones; default 2 (a lost node's allocations can move). */
  nodes?: NodeOptions[] | number;
  /** ACLs on (default): requests need a token; `token` is the management token. */
  acl?: boolean;
  /** The management token's secret; default a random UUID. */
  managementToken?: string;
  /** Serve HTTPS (`true`), or HTTPS that requires a client certificate (`'mutual'`). */
  tls?: boolean | 'mutual';
  /** Timing of the tasks' process model (the mock's settings: startupDelayMs, ...). */
  process?: MockSettingsInput;
}

/** Switches that make the emulated cluster misbehave on purpose. */
export interface NomadFaults {
  /** The node (ID or name) stops heartbeating: status down, its allocations lost and replaced. */
  loseNode(node: string): void;
  /** Loses the node that runs this allocation. */
  loseAllocation(allocId: string): void;
  /** The node (ID or name) is back and ready. */
  restoreNode(node: string): void;
  /** Someone else stops (or with `purge` removes) the job. */
  deregisterJob(jobId: string, options?: { namespace?: string; purge?: boolean }): void;
  /** Evaluations wait this long before placing anything (0 restores prompt placement). */
  setPlacementDelay(ms: number): void;
  /** Matching requests get an error answer (500 by default). */
  failRequests(options?: FailRequests): void;
  /** Without a known leader, server endpoints answer 500 "No cluster leader". */
  setLeader(known: boolean): void;
  /** Undoes failRequests and setLeader(false). */
  clear(): void;
}

export interface NomadEmulator extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` (or https): NOMAD_ADDR. */
  readonly address: string;
  /** The management token: NOMAD_TOKEN. */
  readonly token: string;
  readonly namespace: string;
  readonly region: string;
  readonly datacenter: string;
  /** With TLS: the CA file (NOMAD_CACERT). */
  readonly caFile?: string;
  /** With mutual TLS: the client certificate and key files (NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY). */
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly faults: NomadFaults;
  /** The NOMAD_* environment variables a Nomad client (the CLI, the api module) reads. */
  env(): Record<string, string>;
  nodes(): NomadNode[];
  addNode(options?: NodeOptions): NomadNode;
  addNamespace(name: string): void;
  /** Creates a client token with these rules; returns its secret. */
  createToken(rules: TokenRules): string;
  /** Jobs that exist and allocations that may still run (`job/<ns>/<id>`, `alloc/<ns>/<job>/<id>`). */
  listResources(): string[];
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Starts a Nomad API emulator on 127.0.0.1 with its own cluster: nodes, jobs, allocations, ACL. */
export async function startNomadEmulator(options: NomadEmulatorOptions = {}): Promise<NomadEmulator> {
  const region = options.region ?? 'global';
  const datacenter = options.datacenter ?? 'dc1';
  const tls: EmulatorTls | undefined = options.tls
    ? await createEmulatorTls(region, options.tls === 'mutual')
    : undefined;
  const server: Server = tls
    ? createHttpsServer({
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: options.tls === 'mutual',
        rejectUnauthorized: options.tls === 'mutual',
      })
    : createHttpServer();
  // Blocking queries hold requests for minutes; keep-alive sockets must not be cut under them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  let port: number;
  try {
    port = await listen(server, options.port ?? 0);
  } catch (err) {
    await tls?.remove();
    throw err;
  }
  const host = `127.0.0.1:${port}`;
  const address = `${tls ? 'https' : 'http'}://${host}`;
  const settings = parseMockSettings(
    { startupDelayMs: 20, ...options.process },
    'nomad-emulator process options',
  );
  const cluster = new Cluster({ settings, httpAddr: host, tls: Boolean(tls) });
  let index = 0;
  const acl = new Acl(options.acl ?? true, () => ++index, options.managementToken ?? randomUUID());
  const faults = new RequestFaults();
  cluster.addNamespace('default', 'Default shared namespace');
  for (const name of options.namespaces ?? []) cluster.addNamespace(name);
  const nodes = options.nodes ?? 2;
  for (const node of typeof nodes === 'number' ? Array.from({ length: nodes }, () => ({})) : nodes) {
    cluster.addNode({ datacenter, ...node });
  }
  const api = new NomadApi({
    cluster,
    acl,
    faults,
    agent: {
      region,
      datacenter,
      name: 'nomad-emulator',
      aclEnabled: acl.enabled,
      knownLeader: () => faults.knownLeader,
      leaderAddress: '127.0.0.1:4647',
    },
  });
  server.on('request', api.handle);
  server.on('upgrade', api.upgrade);

  const findNode = (nameOrId: string): NomadNode => {
    const node = [...cluster.store.nodes.values()].find(n => n.ID === nameOrId || n.Name === nameOrId);
    if (!node) throw new Error(`nomad-emulator: no node ${nameOrId}`);
    return node;
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      api.close();
      cluster.close();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      await tls?.remove();
    })());

  const emulator: NomadEmulator = {
    address,
    token: acl.management.SecretID,
    namespace: 'default',
    region,
    datacenter,
    ...(tls ? { caFile: tls.caFile } : {}),
    ...(tls?.clientCert ? { clientCert: tls.clientCert, clientKey: tls.clientKey } : {}),
    faults: {
      loseNode: node => cluster.loseNode(findNode(node)),
      loseAllocation: allocId => {
        const alloc = cluster.store.allocs.get(allocId);
        if (!alloc) throw new Error(`nomad-emulator: no allocation ${allocId}`);
        cluster.loseNode(findNode(alloc.NodeID));
      },
      restoreNode: node => cluster.restoreNode(findNode(node)),
      deregisterJob: (jobId, { namespace = 'default', purge = false } = {}) =>
        void cluster.deregister(namespace, jobId, purge),
      setPlacementDelay: ms => (cluster.placementDelayMs = ms),
      failRequests: (failure = {}) => faults.fail(failure),
      setLeader: known => (faults.knownLeader = known),
      clear: () => faults.clear(),
    },
    env: () => ({
      NOMAD_ADDR: address,
      NOMAD_TOKEN: acl.management.SecretID,
      NOMAD_REGION: region,
      NOMAD_NAMESPACE: 'default',
      ...(tls ? { NOMAD_CACERT: tls.caFile } : {}),
      ...(tls?.clientCert && tls.clientKey
        ? { NOMAD_CLIENT_CERT: tls.clientCert, NOMAD_CLIENT_KEY: tls.clientKey }
        : {}),
    }),
    nodes: () => [...cluster.store.nodes.values()],
    addNode: (node = {}) => cluster.addNode({ datacenter, ...node }),
    addNamespace: name => cluster.addNamespace(name),
    createToken: rules => acl.createToken(rules).SecretID,
    listResources: () => cluster.listResources(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return emulator;
}
