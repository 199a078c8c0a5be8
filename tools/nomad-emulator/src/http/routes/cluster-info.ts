import { nodeStub } from '../../state/nodes.js';
import type { Reply, RequestContext } from '../context.js';
import { blocking, booleanParam, listQuery, query, ensure } from '../context.js';
import { HttpError, notFound, permissionDenied } from '../errors.js';
import type { Route } from '../router.js';

/* Nodes, node pools, namespaces, regions, the agent, the leader and the token: the cluster's description. */

async function listNodes(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.node(false));
  const prefix = query(ctx, 'prefix') ?? '';
  const resources = booleanParam(ctx, 'resources');
  return blocking(ctx, () => {
    const nodes = [...ctx.cluster.store.nodes.values()].filter(node => node.ID.startsWith(prefix));
    const page = listQuery(
      ctx,
      nodes,
      node => node.ID,
      node => nodeStub(node, true),
    );
    return {
      body: page.items.map(node => nodeStub(node, resources)),
      index: ctx.cluster.store.indexOf('nodes'),
      headers: page.headers,
    };
  });
}

async function readNode(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.node(false));
  return blocking(ctx, () => {
    const node = ctx.cluster.store.nodes.get(ctx.params['id'] ?? '');
    if (!node) throw notFound('node not found');
    const { SecretID: _secret, ...visibleNode } = node;
    return { body: visibleNode, index: node.ModifyIndex };
  });
}

async function nodeAllocations(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.node(false));
  return blocking(ctx, () => {
    const allocs = ctx.cluster.store
      .allocsOnNode(ctx.params['id'] ?? '')
      .filter(alloc => ctx.identity.allowed(alloc.Namespace, 'read-job'));
    return { body: allocs, index: ctx.cluster.store.indexOf('allocs') };
  });
}

async function nodePools(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.node(false));
  const names = new Set([
    'all',
    'default',
    ...[...ctx.cluster.store.nodes.values()].map(node => node.NodePool),
  ]);
  return {
    body: [...names].sort().map(name => ({
      Name: name,
      Description:
        name === 'all'
          ? 'Node pool with all nodes in the cluster.'
          : name === 'default'
            ? 'Default node pool.'
            : '',
      Meta: null,
      SchedulerConfiguration: null,
      CreateIndex: 1,
      ModifyIndex: 1,
    })),
    index: ctx.cluster.store.indexOf('nodes'),
  };
}

async function listNamespaces(ctx: RequestContext): Promise<Reply> {
  return blocking(ctx, () => ({
    body: [...ctx.cluster.store.namespaces.values()]
      .filter(namespace => ctx.identity.anyIn(namespace.Name))
      .sort((a, b) => a.Name.localeCompare(b.Name)),
    index: ctx.cluster.store.indexOf('namespaces'),
  }));
}

async function readNamespace(ctx: RequestContext): Promise<Reply> {
  const name = ctx.params['name'] ?? '';
  ensure(ctx.identity.anyIn(name));
  const namespace = ctx.cluster.store.namespaces.get(name);
  if (!namespace) throw notFound(`namespace not found`);
  return { body: namespace, index: namespace.ModifyIndex };
}

async function regions(ctx: RequestContext): Promise<Reply> {
  return { body: [ctx.agent.region] };
}

async function leader(ctx: RequestContext): Promise<Reply> {
  return { body: ctx.agent.knownLeader() ? ctx.agent.leaderAddress : '', index: 1 };
}

async function peers(ctx: RequestContext): Promise<Reply> {
  return { body: ctx.agent.knownLeader() ? [ctx.agent.leaderAddress] : [], index: 1 };
}

/** `/v1/agent/health`: no token needed; an agent without a leader reports its server unhealthy (500). */
async function health(ctx: RequestContext): Promise<Reply> {
  const ok = ctx.agent.knownLeader();
  return {
    status: ok ? 200 : 500,
    body: {
      client: { ok: true, message: 'ok' },
      server: { ok, message: ok ? 'ok' : 'No cluster leader' },
    },
  };
}

async function self(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.agent(false));
  const { agent } = ctx;
  return {
    body: {
      config: {
        Region: agent.region,
        Datacenter: agent.datacenter,
        NodeName: agent.name,
        Version: { Version: '1.10.5', Prerelease: '', Metadata: '', Revision: 'nomad-emulator' },
        ACL: { Enabled: agent.aclEnabled },
        Server: { Enabled: true },
        Client: { Enabled: true },
      },
      member: {
        Name: `${agent.name}.${agent.region}`,
        Addr: '127.0.0.1',
        Port: 4648,
        Tags: { region: agent.region, dc: agent.datacenter, role: 'nomad', build: '1.10.5' },
        Status: 'alive',
        ProtocolMin: 1,
        ProtocolMax: 5,
        ProtocolCur: 2,
        DelegateMin: 2,
        DelegateMax: 5,
        DelegateCur: 4,
      },
      stats: { nomad: { leader: String(agent.knownLeader()), known_regions: '1' } },
    },
  };
}

async function tokenSelf(ctx: RequestContext): Promise<Reply> {
  if (!ctx.agent.aclEnabled) throw new HttpError(400, 'ACL support disabled');
  if (!ctx.identity.token) throw permissionDenied();
  return { body: ctx.identity.token, index: ctx.identity.token.ModifyIndex };
}

export const clusterRoutes: Route[] = [
  { methods: ['GET'], path: '/v1/nodes', handler: listNodes },
  { methods: ['GET'], path: '/v1/node/pools', handler: nodePools },
  { methods: ['GET'], path: '/v1/node/:id/allocations', handler: nodeAllocations },
  { methods: ['GET'], path: '/v1/node/:id', handler: readNode },
  { methods: ['GET'], path: '/v1/namespaces', handler: listNamespaces },
  { methods: ['GET'], path: '/v1/namespace/:name', handler: readNamespace },
  { methods: ['GET'], path: '/v1/regions', handler: regions, scope: 'agent' },
  { methods: ['GET'], path: '/v1/status/leader', handler: leader, scope: 'agent' },
  { methods: ['GET'], path: '/v1/status/peers', handler: peers, scope: 'agent' },
  { methods: ['GET'], path: '/v1/agent/health', handler: health, scope: 'agent', anonymous: true },
  { methods: ['GET'], path: '/v1/agent/self', handler: self, scope: 'agent' },
  { methods: ['GET'], path: '/v1/acl/token/self', handler: tokenSelf },
];
