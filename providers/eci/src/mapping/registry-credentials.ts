import type { V1Pod, V1Secret } from '@kubernetes/client-node';

import type { ParamTree } from '../client/params.js';
import type { PodReferences } from './volumes.js';

interface DockerAuth {
  username?: string;
  password?: string;
  auth?: string;
}

/** The registry host of a Docker config key (`https://index.docker.io/v1/` → `index.docker.io`). */
function registryServer(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

function authsOf(secret: V1Secret): Record<string, DockerAuth> {
  const decode = (value: string | undefined): unknown =>
    value === undefined ? undefined : JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  try {
    const json = decode(secret.data?.['.dockerconfigjson']) as
      { auths?: Record<string, DockerAuth> } | undefined;
    if (json) return json.auths ?? {};
    // The legacy kubernetes.io/dockercfg layout: the auths map itself.
    return (decode(secret.data?.['.dockercfg']) as Record<string, DockerAuth> | undefined) ?? {};
  } catch {
    return {};
  }
}

export interface MappedCredentials {
  credentials: ParamTree[];
  /** One line per image pull secret that could not be used, for a Warning event (the kubelet goes on). */
  warnings: string[];
}

/**
 * The pod's image pull secrets (kubernetes.io/dockerconfigjson and the older dockercfg) as ECI's
 * ImageRegistryCredential list: one server, user name and password per registry. A missing or
 * unreadable secret is skipped with a warning, as the kubelet does; public images still pull.
 */
export function mapRegistryCredentials(pod: V1Pod, references: PodReferences): MappedCredentials {
  const credentials: ParamTree[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const { name } of pod.spec?.imagePullSecrets ?? []) {
    const secret = name ? references.secrets.get(name) : undefined;
    if (!secret) {
      warnings.push(`image pull secret ${name ?? ''} not found; pulling without it`);
      continue;
    }
    const auths = authsOf(secret);
    if (Object.keys(auths).length === 0)
      warnings.push(`image pull secret ${name} holds no registry credentials`);
    for (const [key, auth] of Object.entries(auths)) {
      let { username, password } = auth;
      if ((!username || !password) && auth.auth) {
        const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      }
      const server = registryServer(key);
      if (!server || !username || !password || seen.has(server)) continue;
      seen.add(server);
      credentials.push({ Server: server, UserName: username, Password: password });
    }
  }
  return { credentials, warnings };
}
