import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '@vkubelet/provider-kit';

import { FAULT_SWITCHES, type FaultSwitches } from './faults.js';
import { readBody, sendJson } from './http/io.js';
import type { Recorder } from './recorder.js';
import type { EmulatorState } from './state.js';

export interface AdminParts {
  faults: FaultSwitches;
  recorder: Recorder;
  state: EmulatorState;
}

/**
 * The emulator's own API, for tests that run it in another process (the CLI): read its state and
 * request log, flip fault switches. It listens on the ARM port under `/__emulator/`, without auth.
 *
 *   GET    /__emulator/state           container groups and their states
 *   GET    /__emulator/requests        the ARM request log
 *   GET    /__emulator/violations      bodies that did not match the API definition
 *   POST   /__emulator/faults/<switch> flip a fault switch; the JSON body is its argument
 *   DELETE /__emulator/faults          reset every fault switch
 */
export async function handleAdmin(
  parts: AdminParts,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname.replace(/^\/__emulator\//, '');
  const method = req.method ?? 'GET';
  try {
    if (method === 'GET' && path === 'state') {
      const groups = parts.state.listGroups().map(({ record, location }) => ({
        resourceGroup: record.resourceGroup,
        name: record.name,
        location,
        provisioningState: record.provisioningState,
        state: record.state,
        tags: record.request.tags ?? {},
      }));
      return sendJson(res, 200, { groups });
    }
    if (method === 'GET' && path === 'requests') return sendJson(res, 200, parts.recorder.requests());
    if (method === 'GET' && path === 'violations')
      return sendJson(res, 200, parts.recorder.faithfulnessViolations());
    if (method === 'DELETE' && path === 'faults') {
      parts.faults.reset();
      return sendJson(res, 204, undefined);
    }
    const fault = /^faults\/(\w+)$/.exec(path)?.[1];
    if (method === 'POST' && fault) {
      if (!(FAULT_SWITCHES as readonly string[]).includes(fault)) {
        return sendJson(res, 404, {
          error: `unknown fault switch ${fault}; known: ${FAULT_SWITCHES.join(', ')}`,
        });
      }
      const text = await readBody(req);
      const argument: unknown = text.trim() ? JSON.parse(text) : {};
      const flip = parts.faults[fault as (typeof FAULT_SWITCHES)[number]].bind(parts.faults) as (
        arg: unknown,
      ) => unknown;
      const result = flip(argument);
      return sendJson(res, 200, { result: result ?? null });
    }
    return sendJson(res, 404, { error: `no admin endpoint ${method} ${url.pathname}` });
  } catch (err) {
    return sendJson(res, 400, { error: errorMessage(err) });
  }
}
