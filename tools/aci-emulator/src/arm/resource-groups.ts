import { ArmError } from '../http/arm-error.js';
import type { ArmCall, ArmReply, Route } from '../http/router.js';
import type { ResourceGroup } from '../state.js';
import type { ArmContext } from './context.js';

function resource(ctx: ArmContext, group: ResourceGroup): Record<string, unknown> {
  return {
    id: `/subscriptions/${ctx.settings.subscriptionId}/resourceGroups/${group.name}`,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    tags: group.tags,
    properties: { provisioningState: 'Succeeded' },
  };
}

function put(ctx: ArmContext, call: ArmCall): ArmReply {
  const body = (call.body ?? {}) as { location?: unknown; tags?: Record<string, string> };
  if (typeof body.location !== 'string') {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const name = call.params['resourceGroup']!;
  if (!/^[-\w._()]{1,90}$/.test(name) || name.endsWith('.')) {
    throw new ArmError(
      400,
      'InvalidResourceGroupName',
      `The resource group name '${name}' is invalid. Resource group names can only include alphanumeric, underscore, parentheses, hyphen, period (except at end), and Unicode characters that match the allowed characters.`,
    );
  }
  const { group, created } = ctx.state.putResourceGroup(
    name,
    body.location.toLowerCase().replaceAll(' ', ''),
    body.tags ?? {},
  );
  return { status: created ? 201 : 200, body: resource(ctx, group) };
}

/** Microsoft.Resources resource groups, enough to create one and read it back (any api-version). */
export function resourceGroupRoutes(ctx: ArmContext): Route[] {
  return [
    {
      pattern: /^\/subscriptions\/(?<subscription>[^/]+)\/resourceGroups\/(?<resourceGroup>[^/]+)$/i,
      apiVersions: 'any',
      methods: {
        PUT: call => put(ctx, call),
        GET: call => ({
          status: 200,
          body: resource(ctx, ctx.state.resourceGroup(call.params['resourceGroup']!)),
        }),
      },
    },
  ];
}
