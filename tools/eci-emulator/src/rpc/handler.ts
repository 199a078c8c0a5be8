import type { IncomingMessage, ServerResponse } from 'node:http';

import { ACTIONS } from '../actions/index.js';
import type { EciService } from '../actions/context.js';
import type { Authenticator } from './auth.js';
import { apiErrors, EciApiError } from './errors.js';
import { Params } from './params.js';
import { readRpcRequest } from './request.js';
import { newRequestId, sendError, sendJson } from './response.js';

export const API_VERSION = '2018-08-08';

/** How many answers each action got, by error code (`OK` for success). */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  add(action: string, code: string): void {
    const key = `${action} ${code}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  count(action: string, code?: string): number {
    let total = 0;
    for (const [key, count] of this.counts) {
      const [keyAction, keyCode] = key.split(' ');
      if (keyAction === action && (code === undefined || keyCode === code)) total += count;
    }
    return total;
  }
}

/**
 * One RPC request, the gateway's way: Action and Version, then the signature, then the action
 * (unknown ones refused only after authentication), injected faults, RegionId, and the action's
 * own checks. Every answer is JSON; errors carry the HTTP status of their code.
 */
export async function handleRpc(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  service: EciService,
  authenticator: Authenticator,
  calls: CallCounter,
): Promise<void> {
  const requestId = newRequestId();
  let action = '';
  try {
    const request = await readRpcRequest(req, url);
    const params = request.params;
    action = params.get('Action') ?? '';
    if (!action) throw apiErrors.missingParameter('Action');
    if (!params.get('Version')) throw apiErrors.missingParameter('Version');
    if (params.get('Version') !== API_VERSION) throw apiErrors.invalidVersion();
    authenticator.verify(request.method, params);
    const definition = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!definition) throw apiErrors.invalidAction();
    const fault = service.faults.takeRequestFault(action);
    if (fault) throw fault;
    const region = params.get('RegionId');
    if (region === undefined || region === '') {
      if (definition.regionRequired) throw apiErrors.missingParameter('RegionId');
    } else if (region !== service.regionId) {
      throw apiErrors.invalidRegion(region);
    }
    const body = await definition.handler({ service, params: Params.fromFlat(params), raw: params });
    sendJson(res, 200, requestId, { RequestId: requestId, ...body });
    calls.add(action, 'OK');
  } catch (error) {
    const apiError = error instanceof EciApiError ? error : apiErrors.internal();
    if (!(error instanceof EciApiError)) {
      process.stderr.write(
        `eci-emulator: ${action || 'request'} failed: ${(error as Error).stack ?? String(error)}\n`,
      );
    }
    if (!res.headersSent) sendError(res, requestId, req.headers.host ?? '', apiError);
    calls.add(action || '-', apiError.code);
  }
}
