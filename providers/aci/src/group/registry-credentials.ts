import type { ImageRegistryCredential } from '@azure/arm-containerinstance';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { errorMessage, InvalidInputError, TransientError, type ResourceLister } from '@vkubelet/provider-kit';

interface DockerAuth {
  username?: string;
  password?: string;
  auth?: string;
}

/** `https://index.docker.io/v1/` → `index.docker.io`: ACI wants the server without protocol or path. */
export function registryServer(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

function credential(server: string, entry: DockerAuth, field: string): ImageRegistryCredential {
  let { username, password } = entry;
  if ((!username || !password) && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  if (!username || !password) throw new InvalidInputError(`${field}: no username and password for ${server}`);
  return { server: registryServer(server), username, password };
}

/** The registries of a dockerconfigjson or dockercfg Secret. */
export function credentialsOf(secret: V1Secret, field: string): ImageRegistryCredential[] {
  const data = secret.data ?? {};
  const json = data['.dockerconfigjson'] ?? data['.dockercfg'];
  if (!json)
    throw new InvalidInputError(
      `${field}: secret ${secret.metadata?.name} holds no .dockerconfigjson or .dockercfg`,
    );
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(Buffer.from(json, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidInputError(`${field}: secret ${secret.metadata?.name} is not valid JSON`);
  }
  const auths = (data['.dockerconfigjson'] ? parsed['auths'] : parsed) as
    Record<string, DockerAuth> | undefined;
  return Object.entries(auths ?? {}).map(([server, entry]) => credential(server, entry, field));
}

/**
 * The pod's image pull secrets as ACI's image registry credentials, one per registry (a later secret
 * does not override an earlier one, as with the kubelet's keyring). A pull secret that does not
 * exist is skipped, as the kubelet skips it: the pull then tries without.
 */
export async function registryCredentials(
  pod: V1Pod,
  resources: ResourceLister,
): Promise<ImageRegistryCredential[]> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const byServer = new Map<string, ImageRegistryCredential>();
  for (const [i, ref] of (pod.spec?.imagePullSecrets ?? []).entries()) {
    if (!ref.name) continue;
    let secret: V1Secret | undefined;
    try {
      secret = await resources.getSecret(namespace, ref.name);
    } catch (err) {
      throw new TransientError(`reading image pull secret ${namespace}/${ref.name}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (!secret) continue;
    for (const entry of credentialsOf(secret, `spec.imagePullSecrets[${i}]`)) {
      if (!byServer.has(entry.server)) byServer.set(entry.server, entry);
    }
  }
  return [...byServer.values()];
}
