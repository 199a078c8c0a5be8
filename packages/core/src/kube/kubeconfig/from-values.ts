import { ConfiguredAccess } from './configured-access.js';
import { KubeconfigError } from './errors.js';
import type { ClusterAccess } from './types.js';

/** Plain values for `clusterAccess()`: PEM strings, not files or base64. */
export interface ClusterAccessValues {
  /** API server URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** PEM CA bundle to trust; default the system roots. */
  caPem?: string;
  /** Do not verify the server certificate (tests only). */
  insecureSkipVerify?: boolean;
  /** Name to verify the server certificate against, when `server` uses another. */
  tlsServerName?: string;
  /** Client certificate identity (both or neither). */
  certPem?: string;
  /** PEM private key of `certPem`. */
  keyPem?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** HTTP(S) proxy to reach the server through. */
  proxyUrl?: string;
  /** For messages; default `API server <server>`. */
  description?: string;
}

/** A ClusterAccess from values in memory, e.g. a test's API server and a certificate it issued. */
export function clusterAccess(values: ClusterAccessValues): ClusterAccess {
  try {
    const url = new URL(values.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new KubeconfigError(`clusterAccess: server "${values.server}" is not an http(s) URL`);
  }
  if ((values.certPem === undefined) !== (values.keyPem === undefined)) {
    throw new KubeconfigError('clusterAccess: certPem and keyPem go together');
  }
  const inline = (value: string | undefined) => (value === undefined ? undefined : { value });
  return new ConfiguredAccess({
    description: values.description ?? `API server ${values.server}`,
    server: values.server,
    proxyUrl: values.proxyUrl,
    ca: inline(values.caPem),
    insecureSkipVerify: values.insecureSkipVerify,
    serverName: values.tlsServerName,
    clientCert: inline(values.certPem),
    clientKey: inline(values.keyPem),
    token: inline(values.bearerToken),
  });
}
