import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '@vkubelet/provider-kit';

import type { FaultSwitches } from '../faults.js';
import { authenticate, type BearerSettings } from '../identity/bearer.js';
import { ArmError, invalidRequestContent } from '../http/arm-error.js';
import { readBody, sendJson } from '../http/io.js';
import { matchRoute, type ArmCall, type ArmReply, type Route } from '../http/router.js';
import type { Recorder } from '../recorder.js';
import { containerGroupRoutes } from './container-groups.js';
import { containerRoutes } from './containers.js';
import type { ArmContext } from './context.js';
import { locationRoutes } from './location.js';
import { metricsRoutes } from './metrics.js';
import { operationRoutes } from './operations.js';
import { resourceGroupRoutes } from './resource-groups.js';

/**
 * ContainerInstance api-versions ARM routes to the provider. The emulator serves 2023-05-01 (what
 * `@azure/arm-containerinstance` 9.x sends) and answers the neighbouring versions the same way, as
 * their shapes differ only in fields it does not model; others are refused as ARM refuses them.
 */
export const CONTAINER_INSTANCE_API_VERSIONS = [
  '2021-03-01',
  '2021-07-01',
  '2021-09-01',
  '2021-10-01',
  '2022-09-01',
  '2022-10-01-preview',
  '2023-02-01-preview',
  '2023-05-01',
  '2024-05-01-preview',
  '2024-10-01-preview',
  '2024-11-01-preview',
  '2025-09-01',
];

export interface ArmServerParts {
  ctx: ArmContext;
  faults: FaultSwitches;
  recorder: Recorder;
  bearer: BearerSettings;
  /** The admin API under `/__emulator/` (no token needed). */
  admin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/**
 * The ARM front door: authentication, injected faults, routing, api-version, the request body,
 * then the route; every answer carries ARM's headers and is checked against the definition.
 */
export class ArmServer {
  private readonly routes: Route[];

  constructor(private readonly parts: ArmServerParts) {
    const ctx = parts.ctx;
    this.routes = [
      ...containerGroupRoutes(ctx),
      ...containerRoutes(ctx),
      ...metricsRoutes(ctx),
      ...locationRoutes(ctx),
      ...operationRoutes(ctx),
      ...resourceGroupRoutes(ctx),
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // ARM tolerates doubled slashes (clients join a resource id to their base path); a leading
    // `//` would otherwise parse as a host name.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), this.parts.ctx.armEndpoint());
    url.pathname = url.pathname.replace(/\/{2,}/g, '/');
    if (url.pathname.startsWith('/__emulator/')) return this.parts.admin(req, res, url);
    const method = (req.method ?? 'GET').toUpperCase();
    const requestId = randomUUID();
    let reply: ArmReply;
    try {
      reply = await this.dispatch(req, method, url);
    } catch (err) {
      if (!(err instanceof ArmError)) {
        process.stderr.write(
          `[aci-emulator] ${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}\n`,
        );
      }
      const error =
        err instanceof ArmError
          ? err
          : new ArmError(500, 'InternalServerError', 'Encountered internal server error.');
      reply = {
        status: error.status,
        body: error.body(),
        headers: error.extra.headers ?? {},
        model: 'CloudError',
      };
    }
    this.checkFaithfulness(reply, 'response', method, url);
    const errorCode = (reply.body as { error?: { code?: string }; code?: string } | undefined)?.error?.code;
    this.parts.recorder.request({
      time: new Date().toISOString(),
      method,
      url: url.pathname + url.search,
      status: reply.status,
      ...(reply.status >= 400 && errorCode ? { errorCode } : {}),
    });
    const write = method === 'GET' || method === 'HEAD' ? 'reads' : 'writes';
    sendJson(res, reply.status, reply.body, {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id':
        (req.headers['x-ms-correlation-request-id'] as string | undefined) ?? requestId,
      'x-ms-routing-request-id': `EMULATOR:${new Date().toISOString().replace(/[-:.]/g, '')}:${requestId}`,
      ...(req.headers['x-ms-client-request-id']
        ? { 'x-ms-client-request-id': String(req.headers['x-ms-client-request-id']) }
        : {}),
      [`x-ms-ratelimit-remaining-subscription-${write}`]: write === 'reads' ? '11999' : '1199',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      ...reply.headers,
    });
  }

  private async dispatch(req: IncomingMessage, method: string, url: URL): Promise<ArmReply> {
    authenticate(req.headers.authorization, this.parts.bearer);
    const injected = this.parts.faults.intercept(method, url.pathname);
    if (injected) throw injected;
    const matched = matchRoute(this.routes, url.pathname);
    if (!matched) throw this.unknownPath(url);
    const { route, params } = matched;
    const settings = this.parts.ctx.settings;
    if (
      params['subscription'] !== undefined &&
      params['subscription'].toLowerCase() !== settings.subscriptionId.toLowerCase()
    ) {
      throw new ArmError(
        404,
        'SubscriptionNotFound',
        `The subscription '${params['subscription']}' could not be found.`,
      );
    }
    this.checkApiVersion(route, url);
    const handler = route.methods[method];
    if (!handler) {
      throw new ArmError(
        405,
        'MethodNotAllowed',
        `The requested resource does not support http method '${method}'.`,
      );
    }
    const text = await readBody(req);
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw invalidRequestContent(errorMessage(err));
      }
    }
    const requestModel = route.requestModels?.[method];
    if (requestModel && body !== undefined)
      this.checkFaithfulness({ status: 0, body, model: requestModel }, 'request', method, url);
    const call: ArmCall = { method, url, params, body, headers: req.headers };
    return handler(call);
  }

  private checkApiVersion(route: Route, url: URL): void {
    const version = url.searchParams.get('api-version');
    if (!version) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const supported = route.apiVersions ?? CONTAINER_INSTANCE_API_VERSIONS;
    if (supported !== 'any' && !supported.includes(version)) {
      throw new ArmError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${this.parts.ctx.settings.locations[0]}' and API version '${version}' for type 'containerGroups'. ` +
          `The supported api-versions are '${supported.join(', ')}'. The supported locations are '${this.parts.ctx.settings.locations.join(', ')}'.`,
      );
    }
  }

  private unknownPath(url: URL): ArmError {
    const type = /\/providers\/([^/]+\/[^/]+)/i.exec(url.pathname)?.[1];
    if (type) {
      return new ArmError(
        404,
        'InvalidResourceType',
        `The resource type '${type.split('/')[1]}' could not be found in the namespace '${type.split('/')[0]}' for api version '${url.searchParams.get('api-version') ?? ''}'.`,
      );
    }
    return new ArmError(
      404,
      'NotFound',
      `No HTTP resource was found that matches the request URI '${url.pathname}'.`,
    );
  }

  private checkFaithfulness(
    reply: ArmReply,
    direction: 'request' | 'response',
    method: string,
    url: URL,
  ): void {
    if (!this.parts.ctx.settings.checkFaithfulness || !reply.model || reply.body === undefined) return;
    const found = this.parts.ctx.definition.check(reply.model, reply.body, direction);
    if (found.length === 0) return;
    this.parts.recorder.violations(
      found.map(violation => ({
        ...violation,
        direction,
        method,
        url: url.pathname + url.search,
        model: reply.model!,
      })),
    );
  }
}
