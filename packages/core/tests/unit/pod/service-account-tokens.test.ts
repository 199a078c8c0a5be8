import { describe, expect, it } from 'vitest';

import { serviceAccountTokens } from '../../../src/pod/service-account-tokens.js';

describe('serviceAccountTokens', () => {
  it('asks for a token bound to the pod, with the projection audience and lifetime', async () => {
    const calls: Array<{ method: string; path: string; body: unknown }> = [];
    const issuer = serviceAccountTokens({
      requestJson: async <T>(method: string, path: string, options: { body?: unknown } = {}) => {
        calls.push({ method, path, body: options.body });
        return { status: { token: 'jwt', expirationTimestamp: '2030-01-01T00:00:00Z' } } as T;
      },
    });
    const pod = { metadata: { namespace: 'team', name: 'web', uid: 'u-1' } };
    const answer = await issuer.requestToken(
      pod,
      { serviceAccountName: 'builder', audience: 'api', expirationSeconds: 3607 },
      { signal: AbortSignal.timeout(1000) },
    );
    expect(answer).toEqual({ token: 'jwt', expirationTimestamp: new Date('2030-01-01T00:00:00Z') });
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/api/v1/namespaces/team/serviceaccounts/builder/token',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            audiences: ['api'],
            expirationSeconds: 3607,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'u-1' },
          },
        },
      },
    ]);
  });

  it('fails when the API server issues no token', async () => {
    const issuer = serviceAccountTokens({ requestJson: async <T>() => ({ status: {} }) as T });
    await expect(
      issuer.requestToken(
        { metadata: { namespace: 'team', name: 'web', uid: 'u-1' } },
        { serviceAccountName: 'default' },
        { signal: AbortSignal.timeout(1000) },
      ),
    ).rejects.toThrow('the API server issued no token for team/default');
  });
});
