import { isDeepStrictEqual } from 'node:util';

import { ArmError } from '../http/arm-error.js';
import type { ArmCall, ArmReply, Route } from '../http/router.js';
import { groupResource } from '../model/resource.js';
import { deploymentStatus, type StoredGroup } from '../state.js';
import { CONTAINER_INSTANCE, GROUPS_PATH, operationHeaders, type ArmContext } from './context.js';
import { validateContainerGroup } from './validation.js';

function pageToken(call: ArmCall): number {
  const token = call.url.searchParams.get('$skipToken') ?? call.url.searchParams.get('$skiptoken');
  if (token === null) return 0;
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ArmError(400, 'InvalidSkipToken', `The skip token '${token}' is invalid.`);
  }
  return offset;
}

function list(ctx: ArmContext, call: ArmCall, resourceGroup: string | undefined): ArmReply {
  const groups = ctx.state.listGroups(resourceGroup);
  const offset = pageToken(call);
  const end = offset + ctx.settings.pageSize;
  const value = groups
    .slice(offset, end)
    .map(stored => groupResource(stored.record, stored.location, { instanceView: false }));
  const apiVersion = encodeURIComponent(call.url.searchParams.get('api-version') ?? '');
  const token = Buffer.from(String(end)).toString('base64url');
  const nextLink = `${ctx.armEndpoint()}${call.url.pathname}?api-version=${apiVersion}&$skipToken=${token}`;
  return {
    status: 200,
    body: { value, ...(end < groups.length ? { nextLink } : {}) },
    model: 'ContainerGroupListResult',
  };
}

function view(stored: StoredGroup): Record<string, unknown> {
  return groupResource(stored.record, stored.location, { instanceView: true });
}

/** The answer to a PUT that started a deployment: the group, and where to poll the deployment. */
function deploying(ctx: ArmContext, stored: StoredGroup, status: 200 | 201): ArmReply {
  const deployment = stored.record.deployment;
  const operation = ctx.state.addOperation(stored.location, stored.record.id, () =>
    deploymentStatus(deployment),
  );
  return {
    status,
    body: view(stored),
    headers: operationHeaders(ctx, operation, { location: false }),
    model: 'ContainerGroup',
  };
}

function put(ctx: ArmContext, call: ArmCall): ArmReply {
  const { resourceGroup, name } = call.params as { resourceGroup: string; name: string };
  ctx.state.resourceGroup(resourceGroup);
  const request = validateContainerGroup(name, call.body, ctx.settings, ctx.definition);
  const existing = ctx.state.findGroup(resourceGroup, name);
  if (!existing) {
    ctx.state.checkQuota(request);
    return deploying(ctx, ctx.state.createGroup(resourceGroup, name, request), 201);
  }
  if (existing.location !== request.location) {
    throw new ArmError(
      409,
      'InvalidResourceLocation',
      `The resource '${name}' already exists in location '${existing.location}' in resource group '${resourceGroup}'. ` +
        `A resource with the same name cannot be created in location '${request.location}'. Please select a new resource name.`,
    );
  }
  if (existing.record.deleting) {
    throw new ArmError(409, 'Conflict', `The container group '${name}' is being deleted.`);
  }
  const unchanged = isDeepStrictEqual(existing.record.request.properties, request.properties);
  if (unchanged) {
    // Same spec: only the tags (and zones, identity) change; nothing is redeployed.
    existing.record.request = { ...request, properties: existing.record.request.properties };
    return { status: 200, body: view(existing), model: 'ContainerGroup' };
  }
  ctx.state.checkQuota(request, existing);
  existing.record.request = request;
  existing.record.deploy();
  return deploying(ctx, existing, 200);
}

function patch(ctx: ArmContext, call: ArmCall): ArmReply {
  const stored = ctx.state.group(call.params['resourceGroup']!, call.params['name']!);
  const body = call.body as { tags?: unknown } | undefined;
  if (typeof body !== 'object' || body === null) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
  }
  if (body.tags !== undefined) {
    const tags = body.tags as Record<string, unknown>;
    if (
      typeof tags !== 'object' ||
      tags === null ||
      Object.values(tags).some(value => typeof value !== 'string')
    ) {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        "The request content was invalid and could not be deserialized: 'tags must map names to strings'.",
      );
    }
    stored.record.request = { ...stored.record.request, tags: tags as Record<string, string> };
  }
  return { status: 200, body: view(stored), model: 'ContainerGroup' };
}

function remove(ctx: ArmContext, call: ArmCall): ArmReply {
  const stored = ctx.state.findGroup(call.params['resourceGroup']!, call.params['name']!);
  if (!stored) return { status: 204 };
  const deleteMs = ctx.settings.provisioning.deleteMs;
  if (deleteMs === 0) {
    const body = view(stored);
    ctx.state.deleteGroup(stored);
    return { status: 200, body, model: 'ContainerGroup' };
  }
  if (!stored.record.deleting) {
    stored.record.deleting = true;
    stored.record.remove();
    setTimeout(() => ctx.state.deleteGroup(stored), deleteMs).unref();
  }
  const operation = ctx.state.addOperation(stored.location, stored.record.id, () => ({
    status:
      ctx.state.findGroup(stored.record.resourceGroup, stored.record.name) === stored
        ? 'Deleting'
        : 'Succeeded',
  }));
  return { status: 202, headers: operationHeaders(ctx, operation, { location: true }) };
}

function action(ctx: ArmContext, call: ArmCall): ArmReply {
  const stored = ctx.state.group(call.params['resourceGroup']!, call.params['name']!);
  const record = stored.record;
  if (record.deleting)
    throw new ArmError(409, 'Conflict', `The container group '${record.name}' is being deleted.`);
  const verb = call.params['action']!.toLowerCase();
  if (verb === 'stop') {
    record.stop();
    return { status: 204 };
  }
  if (verb === 'start' && !record.stopped) return { status: 204 };
  const deployment = record.deploy();
  const operation = ctx.state.addOperation(stored.location, record.id, () => deploymentStatus(deployment));
  return {
    status: verb === 'start' ? 202 : 204,
    headers: operationHeaders(ctx, operation, { location: true }),
  };
}

/** Container groups: list (paged), get, create or update, tag update, delete, restart, stop, start. */
export function containerGroupRoutes(ctx: ArmContext): Route[] {
  return [
    {
      pattern: new RegExp(
        String.raw`^/subscriptions/(?<subscription>[^/]+)/providers/${CONTAINER_INSTANCE}/containerGroups$`,
        'i',
      ),
      methods: { GET: call => list(ctx, call, undefined) },
    },
    {
      pattern: new RegExp(`${GROUPS_PATH}$`, 'i'),
      methods: { GET: call => list(ctx, call, call.params['resourceGroup']) },
    },
    {
      pattern: new RegExp(`${GROUPS_PATH}/(?<name>[^/]+)$`, 'i'),
      requestModels: { PUT: 'ContainerGroup', PATCH: 'Resource' },
      methods: {
        GET: call => ({
          status: 200,
          body: view(ctx.state.group(call.params['resourceGroup']!, call.params['name']!)),
          model: 'ContainerGroup',
        }),
        PUT: call => put(ctx, call),
        PATCH: call => patch(ctx, call),
        DELETE: call => remove(ctx, call),
      },
    },
    {
      pattern: new RegExp(`${GROUPS_PATH}/(?<name>[^/]+)/(?<action>restart|stop|start)$`, 'i'),
      methods: { POST: call => action(ctx, call) },
    },
    {
      pattern: new RegExp(`${GROUPS_PATH}/(?<name>[^/]+)/outboundNetworkDependenciesEndpoints$`, 'i'),
      methods: {
        GET: call => {
          ctx.state.group(call.params['resourceGroup']!, call.params['name']!);
          // "For container groups, this will always be an empty list."
          return { status: 200, body: [] };
        },
      },
    },
  ];
}
