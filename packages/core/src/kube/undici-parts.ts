import { createRequire } from 'node:module';

import type { Agent as UndiciAgent, Dispatcher, ProxyAgent as UndiciProxyAgent } from 'undici';

/*
 * The parts of undici the transport uses, loaded one by one. undici's index loads everything it has
 * (fetch, WebSocket, EventSource, caches, mocks, interceptors, the SQLite cache store): measured on
 * Node 24 with the agent's heap flags, 24 MB of RSS against 12 MB for the agent and the request API
 * alone, which is most of the difference to an idle agent's memory budget. The paths are undici's
 * own files (CommonJS, no exports map); the types come from its index.
 */
const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

/** Loaded only when the kubeconfig names a proxy. */
export function proxyAgent(): typeof UndiciProxyAgent {
  return require('undici/lib/dispatcher/proxy-agent.js') as typeof UndiciProxyAgent;
}

const apiRequest = require('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/** `dispatcher.request(options)`, without undici's index adding its API to every dispatcher. */
export function request(
  dispatcher: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(dispatcher, options);
}
