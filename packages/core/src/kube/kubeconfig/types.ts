/**
 * How to reach one API server: its URL plus the credentials and TLS material of the next request.
 * Built by `loadKubeconfig()`, `inClusterAccess()` or `clusterAccess()`; core's `KubeClient` asks
 * for credentials before each request, so implementations cache and re-read files cheaply.
 */
export interface ClusterAccess {
  /** API server base URL without a trailing slash (it may carry a path prefix). */
  readonly server: string;
  /** HTTP(S) proxy to reach the server through (`proxy-url`), if any. */
  readonly proxyUrl: string | undefined;
  /** Where this came from, for messages, e.g. `kubeconfig /etc/kubeconfig (context "vk")`. */
  readonly description: string;
  /** Headers and TLS material for the next request (files re-read when they change, plugins re-run). */
  credentials(): Promise<RequestCredentials>;
  /**
   * The server answered 401 to a request sent with `used`: forget credentials an exec plugin gave,
   * so the next request runs the plugin again (as client-go does). No-op for static credentials.
   */
  rejected(used: RequestCredentials): void;
}

/** What one request is sent with. */
export interface RequestCredentials {
  /** `authorization` (bearer or basic), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** What the connection is made with. */
  readonly tls: TlsMaterial;
}

/** What a connection pool is built from; a change (e.g. a rotated client certificate) means a new pool. */
export interface TlsMaterial {
  /** PEM bundle of the CAs to trust; undefined means the system roots. */
  readonly ca: string | undefined;
  /** PEM client certificate (chain) and key, if the identity is a certificate. */
  readonly cert: string | undefined;
  /** PEM private key of `cert`. */
  readonly key: string | undefined;
  /** `insecure-skip-tls-verify`: do not check the server's certificate. */
  readonly insecureSkipVerify: boolean;
  /** `tls-server-name`: the name to check the server certificate against (SNI). */
  readonly serverName: string | undefined;
}
