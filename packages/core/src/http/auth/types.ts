import type { KubeClient } from '../../kube/client.js';

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
 * What the server's auth needs from the API (TokenReview, SubjectAccessReview): core's KubeClient,
 * or a fake with the same call in tests.
 */
export type AuthApis = Pick<KubeClient, 'requestJson'>;

export type AuthenticationResult = { user: UserInfo } | { user?: undefined; reason: string };

export type AuthorizationDecision = { allowed: true } | { allowed: false; reason: string };
