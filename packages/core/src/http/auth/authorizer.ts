import type { V1SubjectAccessReview } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';

import type { AuthApis, AuthorizationDecision, RequestAttributes, UserInfo } from './types.js';

const SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export interface AuthorizerOptions {
  apis: AuthApis;
  /** How long an "allowed" answer is reused (kubelet default 5 min). */
  allowTtlMs?: number;
  /** How long a "denied" answer is reused (kubelet default 30 s). */
  denyTtlMs?: number;
  cacheMaxEntries?: number;
  /** Time source of the cache (milliseconds); tests pass a manual clock. */
  clock?: { now(): number };
}

export interface Authorizer {
  authorize(user: UserInfo, attributes: readonly RequestAttributes[]): Promise<AuthorizationDecision>;
}

/** Every request allowed: the kubelet's AlwaysAllow mode, used when no webhook is configured. */
export const alwaysAllow: Authorizer = { authorize: () => Promise.resolve({ allowed: true }) };

/**
 * The kubelet's webhook authorizer: one SubjectAccessReview per (user, attributes), allowed answers
 * cached longer than denials so a newly granted role takes effect within `denyTtlMs`. The request is
 * allowed if any of its attribute sets is (fine-grained subresource first, then `proxy`). A failing
 * review rejects, and the server answers 500.
 */
export class SubjectAccessReviewAuthorizer implements Authorizer {
  private readonly cache: LRUCache<string, AuthorizationDecision>;
  /** Reviews under way, so a burst of identical requests costs one SubjectAccessReview. */
  private readonly inFlight = new Map<string, Promise<AuthorizationDecision>>();
  private readonly allowTtlMs: number;
  private readonly denyTtlMs: number;

  constructor(private readonly options: AuthorizerOptions) {
    this.allowTtlMs = options.allowTtlMs ?? 300_000;
    this.denyTtlMs = options.denyTtlMs ?? 30_000;
    this.cache = new LRUCache({
      max: options.cacheMaxEntries ?? 4096,
      ttl: this.allowTtlMs,
      ttlResolution: 0,
      ...(options.clock ? { perf: options.clock } : {}),
    });
  }

  async authorize(user: UserInfo, attributes: readonly RequestAttributes[]): Promise<AuthorizationDecision> {
    let last: AuthorizationDecision = { allowed: false, reason: 'no attributes to authorize' };
    for (const attrs of attributes) {
      last = await this.authorizeOne(user, attrs);
      if (last.allowed) return last;
    }
    return last;
  }

  private async authorizeOne(user: UserInfo, attrs: RequestAttributes): Promise<AuthorizationDecision> {
    const key = JSON.stringify([
      user.username,
      user.uid,
      user.groups,
      user.extra,
      attrs.verb,
      attrs.subresource,
      attrs.name,
    ]);
    const cached = this.cache.get(key);
    if (cached) return cached;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.review(user, attrs)
        .then(decision => {
          this.cache.set(key, decision, { ttl: decision.allowed ? this.allowTtlMs : this.denyTtlMs });
          return decision;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async review(user: UserInfo, attrs: RequestAttributes): Promise<AuthorizationDecision> {
    const review = await this.options.apis.requestJson<V1SubjectAccessReview>(
      'POST',
      SUBJECT_ACCESS_REVIEWS,
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            uid: user.uid,
            groups: user.groups,
            extra: user.extra,
            resourceAttributes: {
              verb: attrs.verb,
              group: '',
              version: attrs.apiVersion,
              resource: attrs.resource,
              subresource: attrs.subresource,
              name: attrs.name,
            },
          },
        },
      },
    );
    return review.status?.allowed
      ? { allowed: true }
      : { allowed: false, reason: review.status?.reason ?? '' };
  }
}
