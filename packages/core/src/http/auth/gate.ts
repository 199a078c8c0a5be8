import type { IncomingMessage } from 'node:http';

import type { Logger } from '@vkubelet/provider-kit';

import { requestAttributes } from './attributes.js';
import type { RequestAuthenticator } from './authenticator.js';
import type { Authorizer } from './authorizer.js';
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
        err: err instanceof Error ? err.message : String(err),
      });
      return { ok: false, statusCode: 500, message: `Authorization error (${describe})` };
    }
    return { ok: true, user };
  }
}
