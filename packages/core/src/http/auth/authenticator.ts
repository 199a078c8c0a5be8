import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

import type { V1TokenReview } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';

import type { Logger } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import type { AuthApis, AuthenticationResult, UserInfo } from './types.js';

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';

export interface AuthenticatorOptions {
  /** Accept client certificates the TLS layer verified against the client CA. */
  clientCertificates: boolean;
  /** Check bearer tokens with TokenReview through these APIs. */
  tokenReview?: AuthApis;
  /** Let requests without credentials through as system:anonymous (development only). */
  anonymous: boolean;
  /** How long a TokenReview answer is reused (kubelet default 2 min). */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
  /** Time source of the cache (milliseconds); tests pass a manual clock. */
  clock?: { now(): number };
  logger: Logger;
}

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
const BEARER = /^Bearer\s+(\S+)\s*$/i;

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The kubelet's delegating authenticator: an x509 client certificate verified against the client CA
 * (CN = user, O = groups), else a bearer token checked with TokenReview (answers cached, concurrent
 * checks of one token share a call), else anonymous when enabled. Tokens are cached by their SHA-256,
 * never in clear.
 */
export class RequestAuthenticator {
  private readonly cache: LRUCache<string, AuthenticationResult>;
  private readonly inFlight = new Map<string, Promise<AuthenticationResult>>();

  constructor(private readonly options: AuthenticatorOptions) {
    this.cache = new LRUCache({
      max: options.cacheMaxEntries ?? 4096,
      ttl: options.cacheTtlMs ?? 120_000,
      ttlResolution: 0,
      ...(options.clock ? { perf: options.clock } : {}),
    });
  }

  async authenticate(req: IncomingMessage): Promise<AuthenticationResult> {
    const fromCertificate = this.fromClientCertificate(req);
    if (fromCertificate) return fromCertificate;

    const header = req.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token !== undefined) return this.fromToken(token);
    if (header !== undefined) return { reason: 'unsupported Authorization header' };

    if (this.options.anonymous) return { user: ANONYMOUS };
    return { reason: 'no client certificate or bearer token' };
  }

  private fromClientCertificate(req: IncomingMessage): AuthenticationResult | undefined {
    if (!this.options.clientCertificates) return undefined;
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    const peer = socket.getPeerCertificate();
    if (!peer || Object.keys(peer).length === 0) return undefined;
    if (!socket.authorized) {
      return { reason: `client certificate rejected: ${String(socket.authorizationError ?? 'unknown')}` };
    }
    const username = asList(peer.subject?.CN)[0];
    if (!username) return { reason: 'client certificate has no common name' };
    return { user: { username, groups: asList(peer.subject?.O) } };
  }

  private async fromToken(token: string): Promise<AuthenticationResult> {
    const api = this.options.tokenReview;
    if (!api) return { reason: 'bearer tokens are not accepted (no TokenReview client)' };
    const key = createHash('sha256').update(token).digest('base64');
    const cached = this.cache.get(key);
    if (cached) return cached;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.review(api, token)
        .then(({ result, cacheable }) => {
          if (cacheable) this.cache.set(key, result);
          return result;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async review(
    api: AuthApis,
    token: string,
  ): Promise<{ result: AuthenticationResult; cacheable: boolean }> {
    try {
      const review = await api.requestJson<V1TokenReview>('POST', TOKEN_REVIEWS, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      const status = review.status;
      if (!status?.authenticated || !status.user?.username) {
        const reason = status?.error ? `token rejected: ${status.error}` : 'token rejected';
        return { result: { reason }, cacheable: true };
      }
      const user: UserInfo = { username: status.user.username, groups: status.user.groups ?? [] };
      if (status.user.uid) user.uid = status.user.uid;
      if (status.user.extra) user.extra = status.user.extra;
      return { result: { user }, cacheable: true };
    } catch (err) {
      // Like the kubelet, a failing TokenReview makes the request unauthenticated (401); the error
      // is logged and not cached, so the next request asks again.
      const message = errorMessage(err);
      this.options.logger.error('TokenReview failed', { err: message });
      return { result: { reason: `TokenReview failed: ${message}` }, cacheable: false };
    }
  }
}
