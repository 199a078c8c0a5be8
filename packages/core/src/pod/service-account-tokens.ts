import type { V1Pod } from '@kubernetes/client-node';
import type { ServiceAccountTokenIssuer } from '@vkubelet/provider-kit';

import type { KubeClient } from '../kube/client.js';

/** The part of a TokenRequest answer the issuer reads. */
interface TokenRequestAnswer {
  status?: { token?: string; expirationTimestamp?: string };
}

/**
 * Service-account tokens bound to a pod, requested as the kubelet requests them for projected
 * `serviceAccountToken` volumes: `POST .../serviceaccounts/<name>/token` with the pod as the bound
 * object, which the Node authorizer allows for pods bound to this node only.
 */
export function serviceAccountTokens(client: Pick<KubeClient, 'requestJson'>): ServiceAccountTokenIssuer {
  return {
    async requestToken(pod: V1Pod, request, options) {
      const namespace = pod.metadata?.namespace ?? 'default';
      const path =
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/` +
        `${encodeURIComponent(request.serviceAccountName)}/token`;
      const answer = await client.requestJson<TokenRequestAnswer>('POST', path, {
        signal: options.signal,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            ...(request.audience ? { audiences: [request.audience] } : {}),
            ...(request.expirationSeconds ? { expirationSeconds: request.expirationSeconds } : {}),
            boundObjectRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: pod.metadata?.name ?? '',
              uid: pod.metadata?.uid ?? '',
            },
          },
        },
      });
      const token = answer?.status?.token;
      if (!token)
        throw new Error(`the API server issued no token for ${namespace}/${request.serviceAccountName}`);
      const expires = answer.status?.expirationTimestamp;
      return { token, expirationTimestamp: expires ? new Date(expires) : new Date(Date.now() + 3600_000) };
    },
  };
}
