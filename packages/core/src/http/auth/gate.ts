import type { IncomingMessage } from 'node:http';

import type { Logger } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import type { KubeletAuthOptions } from '../options.js';
import { requestAttributes } from './attributes.js';
import { RequestAuthenticator } from './authenticator.js';
import { alwaysAllow, SubjectAccessReviewAuthorizer, type Authorizer } from './authorizer.js';
import type { UserInfo } from './types.js';

export type GateResult =
  { ok: true; user: UserInfo } | { ok: false; statusCode: 401 | 403 | 500; message: string };

/**
 * Authenticates then authorizes one request, with the kubelet's answers: 401 "Unauthorized" when no
 * identity is established, 403 "Forbidden (user=…, verb=…, resource=…, subresource=…)" when denied,
 * 500 when the authorizer itself fails (so a broken webhook is not mistaken for a denial).
 */
export class AuthGate {
  constructor(
    private readonly nodeName: string,
    private readonly authenticator: RequestAuthenticator,
    private readonly authorizer: Authorizer,
    private readonly logger: Logger,
  ) {}

  async check(req: IncomingMessage, path: string): Promise<GateResult> {
    const identity = await this.authenticator.authenticate(req);
    if (!identity.user) {
      this.logger.debug('unauthenticated kubelet API request', { path, reason: identity.reason });
      return { ok: false, statusCode: 401, message: 'Unauthorized' };
    }
    const user = identity.user;
    const attributes = requestAttributes(this.nodeName, req.method ?? 'GET', path);
    const first = attributes[attributes.length - 1];
    const describe = `user=${user.username}, verb=${first?.verb ?? ''}, resource=nodes, subresource(s)=[${attributes
      .map(a => a.subresource)
      .join(', ')}]`;
    try {
      const decision = await this.authorizer.authorize(user, attributes);
      if (!decision.allowed) {
        this.logger.debug('kubelet API request forbidden', {
          path,
          user: user.username,
          reason: decision.reason,
        });
        return { ok: false, statusCode: 403, message: `Forbidden (${describe})` };
      }
    } catch (err) {
      this.logger.error('authorization of a kubelet API request failed', {
        path,
        user: user.username,
        err: errorMessage(err),
      });
      return { ok: false, statusCode: 500, message: `Authorization error (${describe})` };
    }
    return { ok: true, user };
  }
}

/**
 * The gate the auth options describe: client certificates when a client CA is loaded, TokenReview
 * and SubjectAccessReview through the webhook client, anonymous only when asked for. Without a
 * webhook every authenticated request is allowed (the kubelet's AlwaysAllow), which is logged.
 */
export function createAuthGate(
  nodeName: string,
  auth: KubeletAuthOptions,
  clientCertificates: boolean,
  logger: Logger,
): AuthGate {
  const authenticator = new RequestAuthenticator({
    clientCertificates,
    tokenReview: auth.webhook,
    anonymous: auth.anonymous ?? false,
    cacheTtlMs: auth.cache?.authenticationTtlMs,
    cacheMaxEntries: auth.cache?.maxEntries,
    logger,
  });
  const authorizer = auth.webhook
    ? new SubjectAccessReviewAuthorizer({
        apis: auth.webhook,
        allowTtlMs: auth.cache?.allowTtlMs,
        denyTtlMs: auth.cache?.denyTtlMs,
        cacheMaxEntries: auth.cache?.maxEntries,
      })
    : alwaysAllow;
  if (!auth.webhook && (clientCertificates || auth.anonymous)) {
    logger.warn('no authorization webhook: every authenticated request is allowed');
  }
  return new AuthGate(nodeName, authenticator, authorizer, logger);
}
