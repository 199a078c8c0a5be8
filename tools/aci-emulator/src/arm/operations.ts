import { ArmError } from '../http/arm-error.js';
import type { ArmCall, ArmReply, Route } from '../http/router.js';
import type { AsyncOperation } from '../state.js';
import { LOCATION_PATH, operationHeaders, type ArmContext } from './context.js';

const DONE = new Set(['Succeeded', 'Failed', 'Canceled']);

function find(ctx: ArmContext, call: ArmCall): AsyncOperation {
  const operation = ctx.state.operation(call.params['operation']!);
  if (!operation) {
    throw new ArmError(
      404,
      'OperationNotFound',
      `The operation '${call.params['operation']}' could not be found.`,
    );
  }
  return operation;
}

/** `Azure-AsyncOperation`: the status document pollers read until it is Succeeded, Failed or Canceled. */
function status(ctx: ArmContext, call: ArmCall): ArmReply {
  const operation = find(ctx, call);
  const { status: state, error } = operation.status();
  return {
    status: 200,
    body: {
      id: operation.resourceId,
      status: state,
      startTime: operation.startTime.toISOString(),
      ...(DONE.has(state) ? { endTime: new Date().toISOString() } : {}),
      properties: { events: [] },
      ...(error ? { error } : {}),
    },
  };
}

/** `Location`: 202 while the operation runs, then 204, or the operation's error. */
function result(ctx: ArmContext, call: ArmCall): ArmReply {
  const operation = find(ctx, call);
  const { status: state, error } = operation.status();
  if (!DONE.has(state))
    return {
      status: 202,
      headers: { ...operationHeaders(ctx, operation, { location: true }), 'Retry-After': '1' },
    };
  if (error) throw new ArmError(state === 'Canceled' ? 409 : 400, error.code, error.message);
  return { status: 204 };
}

export function operationRoutes(ctx: ArmContext): Route[] {
  return [
    {
      pattern: new RegExp(`${LOCATION_PATH}/operations/(?<operation>[^/]+)$`, 'i'),
      apiVersions: 'any',
      methods: { GET: call => status(ctx, call) },
    },
    {
      pattern: new RegExp(`${LOCATION_PATH}/operationResults/(?<operation>[^/]+)$`, 'i'),
      apiVersions: 'any',
      methods: { GET: call => result(ctx, call) },
    },
  ];
}
