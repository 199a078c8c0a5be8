import type { AuthenticationV1Api, AuthorizationV1Api } from '@kubernetes/client-node';

/** Who made a request, as TokenReview or a client certificate says. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The kubelet's authorizer attributes (all requests are resource requests on `nodes`). */
export interface RequestAttributes {
  verb: string;
  resource: 'nodes';
  subresource: string;
  name: string;
  apiVersion: 'v1';
  path: string;
}

/**
 * The parts of the API the server's auth needs: the typed client-node APIs that core's KubeClient
 * exposes as `authentication` and `authorization`. Structural, so a test can pass a fake.
 */
export interface AuthApis {
  authentication: Pick<AuthenticationV1Api, 'createTokenReview'>;
  authorization: Pick<AuthorizationV1Api, 'createSubjectAccessReview'>;
}

export type AuthenticationResult = { user: UserInfo } | { user?: undefined; reason: string };

export type AuthorizationDecision = { allowed: true } | { allowed: false; reason: string };
