import type { IncomingMessage } from 'node:http';

import type { V1SubjectAccessReview, V1TokenReview } from '@kubernetes/client-node';
import { noopLogger } from '@vkubelet/provider-kit';
import { describe, expect, it, vi } from 'vitest';

import { requestAttributes } from '../../../src/http/auth/attributes.js';
import { RequestAuthenticator } from '../../../src/http/auth/authenticator.js';
import { SubjectAccessReviewAuthorizer } from '../../../src/http/auth/authorizer.js';
import type { UserInfo } from '../../../src/http/auth/types.js';
import { fakeApi } from './fake-api.js';

describe('requestAttributes', () => {
  const subresources = (method: string, path: string): string[] =>
    requestAttributes('vk', method, path).map(a => a.subresource);

  it.each([
    ['/stats/summary', ['stats']],
    ['/stats', ['stats']],
    ['/metrics/resource', ['metrics']],
    ['/metrics', ['metrics']],
    ['/logs/', ['log']],
    ['/containerLogs/ns/p/c', ['proxy']],
    ['/exec/ns/p/c', ['proxy']],
    ['/attach/ns/p/c', ['proxy']],
    ['/portForward/ns/p', ['proxy']],
    ['/pods', ['pods', 'proxy']],
    ['/runningpods/', ['pods', 'proxy']],
    ['/healthz', ['healthz', 'proxy']],
    ['/statsx', ['proxy']],
    ['/', ['proxy']],
  ])('%s authorizes as nodes/%j', (path, expected) => {
    expect(subresources('GET', path)).toEqual(expected);
  });

  it('maps the HTTP method to the verb and names the node', () => {
    expect(requestAttributes('vk', 'POST', '/exec/a/b/c')).toEqual([
      {
        verb: 'create',
        resource: 'nodes',
        subresource: 'proxy',
        name: 'vk',
        apiVersion: 'v1',
        path: '/exec/a/b/c',
      },
    ]);
    expect(requestAttributes('vk', 'GET', '/stats/summary')[0]?.verb).toBe('get');
    expect(requestAttributes('vk', 'PUT', '/x')[0]?.verb).toBe('update');
    expect(requestAttributes('vk', 'PATCH', '/x')[0]?.verb).toBe('patch');
    expect(requestAttributes('vk', 'DELETE', '/x')[0]?.verb).toBe('delete');
    expect(requestAttributes('vk', 'OPTIONS', '/x')[0]?.verb).toBe('');
  });
});

function requestWith(headers: Record<string, string>): IncomingMessage {
  return { headers, socket: {} } as unknown as IncomingMessage;
}

function tokenApi(review: (token: string) => V1TokenReview | Promise<V1TokenReview>) {
  const createTokenReview = vi.fn(async ({ body }: { body: V1TokenReview }) => review(body.spec.token ?? ''));
  return {
    api: fakeApi((_method, _path, body) => createTokenReview({ body: body as V1TokenReview })),
    createTokenReview,
  };
}

/** A manual clock for the caches' TTLs. */
function manualClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RequestAuthenticator', () => {
  const alice: V1TokenReview = {
    spec: { token: 'secret' },
    status: { authenticated: true, user: { username: 'alice', uid: '1', groups: ['devs'] } },
  };

  it('authenticates a bearer token with TokenReview and caches the answer for the TTL', async () => {
    const { api, createTokenReview } = tokenApi(() => alice);
    const clock = manualClock();
    const auth = new RequestAuthenticator({
      clientCertificates: false,
      tokenReview: api,
      anonymous: false,
      logger: noopLogger,
      cacheTtlMs: 120_000,
      clock,
    });
    const req = requestWith({ authorization: 'Bearer secret' });
    expect(await auth.authenticate(req)).toEqual({ user: { username: 'alice', uid: '1', groups: ['devs'] } });
    expect(await auth.authenticate(req)).toMatchObject({ user: { username: 'alice' } });
    expect(createTokenReview).toHaveBeenCalledTimes(1);
    clock.advance(119_000);
    await auth.authenticate(req);
    expect(createTokenReview).toHaveBeenCalledTimes(1);
    clock.advance(2_000);
    await auth.authenticate(req);
    expect(createTokenReview).toHaveBeenCalledTimes(2);
  });

  it('shares one TokenReview between concurrent requests with the same token', async () => {
    const { api, createTokenReview } = tokenApi(() => alice);
    const auth = new RequestAuthenticator({
      clientCertificates: false,
      tokenReview: api,
      anonymous: false,
      logger: noopLogger,
    });
    const req = requestWith({ authorization: 'Bearer same' });
    await Promise.all([auth.authenticate(req), auth.authenticate(req), auth.authenticate(req)]);
    expect(createTokenReview).toHaveBeenCalledTimes(1);
  });

  it('rejects tokens the API server rejects, and does not cache review failures', async () => {
    let fail = true;
    const { api, createTokenReview } = tokenApi(() => {
      if (fail) throw new Error('connection refused');
      return { spec: { token: 'x' }, status: { authenticated: false, error: 'bad token' } };
    });
    const auth = new RequestAuthenticator({
      clientCertificates: false,
      tokenReview: api,
      anonymous: false,
      logger: noopLogger,
    });
    const req = requestWith({ authorization: 'Bearer x' });
    expect(await auth.authenticate(req)).toEqual({ reason: 'TokenReview failed: connection refused' });
    fail = false;
    expect(await auth.authenticate(req)).toEqual({ reason: 'token rejected: bad token' });
    expect(createTokenReview).toHaveBeenCalledTimes(2);
  });

  it('is anonymous only when enabled', async () => {
    const on = new RequestAuthenticator({ clientCertificates: false, anonymous: true, logger: noopLogger });
    const off = new RequestAuthenticator({ clientCertificates: false, anonymous: false, logger: noopLogger });
    expect(await on.authenticate(requestWith({}))).toEqual({
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    });
    expect((await off.authenticate(requestWith({}))).user).toBeUndefined();
  });

  it('does not fall back to anonymous for a malformed Authorization header', async () => {
    const auth = new RequestAuthenticator({ clientCertificates: false, anonymous: true, logger: noopLogger });
    expect(
      (await auth.authenticate(requestWith({ authorization: 'Basic Zm9vOmJhcg==' }))).user,
    ).toBeUndefined();
  });

  it('takes the user from a verified client certificate (CN user, O groups)', async () => {
    const auth = new RequestAuthenticator({ clientCertificates: true, anonymous: false, logger: noopLogger });
    const socket = {
      authorized: true,
      getPeerCertificate: () => ({
        subject: { CN: 'kube-apiserver-kubelet-client', O: ['system:masters', 'x'] },
      }),
    };
    const verified = { headers: {}, socket } as unknown as IncomingMessage;
    expect(await auth.authenticate(verified)).toEqual({
      user: { username: 'kube-apiserver-kubelet-client', groups: ['system:masters', 'x'] },
    });
    const rejected = {
      headers: {},
      socket: { ...socket, authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    };
    expect((await auth.authenticate(rejected as unknown as IncomingMessage)).user).toBeUndefined();
  });
});

describe('SubjectAccessReviewAuthorizer', () => {
  const user: UserInfo = { username: 'bob', groups: ['g'] };
  const allowing = (allowed: (subresource: string) => boolean) => {
    const createSubjectAccessReview = vi.fn(async ({ body }: { body: V1SubjectAccessReview }) => ({
      ...body,
      status: { allowed: allowed(body.spec.resourceAttributes?.subresource ?? ''), reason: 'rbac' },
    }));
    const apis = fakeApi((_method, _path, body) =>
      createSubjectAccessReview({ body: body as V1SubjectAccessReview }),
    );
    return { apis, createSubjectAccessReview };
  };

  it('sends the kubelet attributes in the review', async () => {
    const { apis, createSubjectAccessReview } = allowing(() => true);
    const authz = new SubjectAccessReviewAuthorizer({ apis });
    await authz.authorize(user, requestAttributes('vk', 'POST', '/exec/a/b/c'));
    expect(createSubjectAccessReview.mock.calls[0]?.[0].body.spec).toEqual({
      user: 'bob',
      uid: undefined,
      groups: ['g'],
      extra: undefined,
      resourceAttributes: {
        verb: 'create',
        group: '',
        version: 'v1',
        resource: 'nodes',
        subresource: 'proxy',
        name: 'vk',
      },
    });
  });

  it('allows when the fine-grained subresource is denied but proxy is allowed', async () => {
    const { apis, createSubjectAccessReview } = allowing(sub => sub === 'proxy');
    const authz = new SubjectAccessReviewAuthorizer({ apis });
    expect(await authz.authorize(user, requestAttributes('vk', 'GET', '/pods'))).toEqual({ allowed: true });
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(2);
  });

  it('caches allowed answers for 5 minutes and denials for 30 seconds', async () => {
    const { apis, createSubjectAccessReview } = allowing(sub => sub === 'stats');
    const clock = manualClock();
    const authz = new SubjectAccessReviewAuthorizer({ apis, clock });
    const stats = requestAttributes('vk', 'GET', '/stats/summary');
    const exec = requestAttributes('vk', 'POST', '/exec/a/b/c');
    await authz.authorize(user, stats);
    expect(await authz.authorize(user, exec)).toEqual({ allowed: false, reason: 'rbac' });
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(2);

    clock.advance(31_000);
    await authz.authorize(user, stats); // still cached
    await authz.authorize(user, exec); // denial expired
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(3);

    clock.advance(270_000);
    await authz.authorize(user, stats); // allow expired after 5 min
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(4);
  });

  it('shares one review between concurrent identical requests', async () => {
    const { apis, createSubjectAccessReview } = allowing(() => true);
    const authz = new SubjectAccessReviewAuthorizer({ apis });
    const attrs = requestAttributes('vk', 'GET', '/stats/summary');
    await Promise.all([
      authz.authorize(user, attrs),
      authz.authorize(user, attrs),
      authz.authorize(user, attrs),
    ]);
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(1);
  });

  it('keeps users apart in the cache', async () => {
    const { apis, createSubjectAccessReview } = allowing(() => true);
    const authz = new SubjectAccessReviewAuthorizer({ apis });
    const attrs = requestAttributes('vk', 'GET', '/stats/summary');
    await authz.authorize(user, attrs);
    await authz.authorize({ username: 'bob', groups: ['admins'] }, attrs);
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(2);
  });

  it('bounds the cache size', async () => {
    const { apis, createSubjectAccessReview } = allowing(() => true);
    const authz = new SubjectAccessReviewAuthorizer({ apis, cacheMaxEntries: 2 });
    const attrs = requestAttributes('vk', 'GET', '/stats/summary');
    for (const name of ['a', 'b', 'c', 'a']) await authz.authorize({ username: name, groups: [] }, attrs);
    expect(createSubjectAccessReview).toHaveBeenCalledTimes(4);
  });

  it('rejects when the review call fails', async () => {
    const apis = fakeApi(() => Promise.reject(new Error('boom')));
    await expect(
      new SubjectAccessReviewAuthorizer({ apis }).authorize(user, requestAttributes('vk', 'GET', '/x')),
    ).rejects.toThrow('boom');
  });
});
