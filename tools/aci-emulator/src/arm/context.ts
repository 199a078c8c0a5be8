import type { ContainerInstanceDefinition } from '../faithfulness/definition.js';
import type { EmulatorSettings } from '../options.js';
import type { AsyncOperation, EmulatorState } from '../state.js';
import type { StreamSessions } from '../streams/sessions.js';

/** What ARM route handlers share. */
export interface ArmContext {
  state: EmulatorState;
  settings: EmulatorSettings;
  definition: ContainerInstanceDefinition;
  streams: StreamSessions;
  armEndpoint(): string;
}

export const CONTAINER_INSTANCE = String.raw`Microsoft\.ContainerInstance`;
/** Path prefix of a resource group's container groups (named groups `subscription`, `resourceGroup`). */
export const GROUPS_PATH = String.raw`^/subscriptions/(?<subscription>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/${CONTAINER_INSTANCE}/containerGroups`;
/** Path prefix of a region's ContainerInstance resources (named groups `subscription`, `location`). */
export const LOCATION_PATH = String.raw`^/subscriptions/(?<subscription>[^/]+)/providers/${CONTAINER_INSTANCE}/locations/(?<location>[^/]+)`;

/** The api-version ACI's async operation URLs carry (as in Azure's answers). */
const OPERATION_API_VERSION = '2018-06-01';

/** `Azure-AsyncOperation` (and, for POST and DELETE, `Location`) headers of a long-running operation. */
export function operationHeaders(
  ctx: ArmContext,
  operation: AsyncOperation,
  options: { location: boolean },
): Record<string, string> {
  const base = `${ctx.armEndpoint()}/subscriptions/${ctx.settings.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${operation.location}`;
  return {
    'Azure-AsyncOperation': `${base}/operations/${operation.id}?api-version=${OPERATION_API_VERSION}`,
    ...(options.location
      ? { Location: `${base}/operationResults/${operation.id}?api-version=${OPERATION_API_VERSION}` }
      : {}),
  };
}
