import { join } from 'node:path';

import { ConfiguredAccess } from './configured-access.js';
import { KubeconfigError } from './errors.js';
import type { ClusterAccess } from './types.js';
import { WatchedFile } from './watched-file.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Overrides for `inClusterAccess()`, mainly for tests. */
export interface InClusterOptions {
  /** Default `process.env` (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT). */
  env?: Record<string, string | undefined>;
  /** Where `token` and `ca.crt` are mounted (default SERVICE_ACCOUNT_DIR). */
  serviceAccountDir?: string;
  /** How often the token and CA files are checked for changes (default 1000 ms). */
  fileCheckIntervalMs?: number;
}

/** True when the process runs in a pod (the service environment variables are set). */
export function isInCluster(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST'] && env['KUBERNETES_SERVICE_PORT']);
}

/**
 * The pod's own service account, as client-go's InClusterConfig: the API server at
 * KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, trusted with `ca.crt`, authenticated with
 * `token`, which is read again when it changes (projected tokens are rotated by the kubelet).
 */
export function inClusterAccess(options: InClusterOptions = {}): ClusterAccess {
  const env = options.env ?? process.env;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new KubeconfigError(
      'in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set',
    );
  }
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const fileOptions = { checkIntervalMs: options.fileCheckIntervalMs };
  return new ConfiguredAccess({
    description: 'in-cluster service account',
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: { file: new WatchedFile(join(dir, 'ca.crt'), 'in-cluster CA', fileOptions) },
    token: { file: new WatchedFile(join(dir, 'token'), 'in-cluster service account token', fileOptions) },
  });
}
