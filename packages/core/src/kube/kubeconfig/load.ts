import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

import { load as parseYaml } from 'js-yaml';
import { errorMessage } from '@vkubelet/provider-kit';

import { ConfiguredAccess, type AccessSpec, type Secret } from './configured-access.js';
import { KubeconfigError } from './errors.js';
import { EXEC_API_VERSIONS, type ExecApiVersion, type ExecPluginConfig } from './exec-plugin.js';
import { Fields } from './fields.js';
import type { ClusterAccess } from './types.js';
import { WatchedFile } from './watched-file.js';

/** Options of `loadKubeconfig()`. */
export interface LoadKubeconfigOptions {
  /** Context to use instead of the file's `current-context`. */
  context?: string;
  /** How often credential files (certificates, keys, tokens) are checked for changes (default 1000 ms). */
  fileCheckIntervalMs?: number;
}

/**
 * Reads a kubeconfig file (YAML or JSON) and returns the access of its current (or the given)
 * context. Supported: cluster `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify`,
 * `tls-server-name`, `proxy-url` (http/https); user `token`, `tokenFile`, `client-certificate(-data)`,
 * `client-key(-data)`, `username`/`password` and `exec` plugins. Relative paths resolve against the
 * kubeconfig's directory, as in client-go. Throws a `KubeconfigError` naming file and field.
 */
export function loadKubeconfig(path: string, options: LoadKubeconfigOptions = {}): ClusterAccess {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return accessFromKubeconfigText(text, path, options);
}

/** As `loadKubeconfig`, for content already read; `path` names it and anchors relative paths. */
export function accessFromKubeconfigText(
  text: string,
  path: string,
  options: LoadKubeconfigOptions = {},
): ClusterAccess {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${path} is not valid YAML: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const root = new Fields(document ?? {}, path, '');
  const contextName = options.context ?? root.string('current-context');
  if (contextName === undefined) {
    throw new KubeconfigError(`kubeconfig ${path}: current-context is not set and no context was given`);
  }
  const context = named(root, 'contexts', 'context', contextName);
  const clusterName = context.requiredString('cluster');
  const userName = context.requiredString('user');
  const reader = new SpecReader(path, options.fileCheckIntervalMs);
  return new ConfiguredAccess({
    description: `kubeconfig ${path} (context "${contextName}")`,
    ...reader.cluster(named(root, 'clusters', 'cluster', clusterName)),
    ...reader.user(named(root, 'users', 'user', userName), userName),
  });
}

/** The `<field>` mapping of the entry of list `<list>` called `name`. */
function named(root: Fields, list: string, field: string, name: string): Fields {
  const entry = root.list(list).find(item => item.string('name') === name);
  if (!entry) throw new KubeconfigError(`${root.where(list)} has no ${field} named "${name}"`);
  const value = entry.mapping(field);
  if (!value) throw new KubeconfigError(`${entry.where(field)} (${field} "${name}") is missing`);
  return value;
}

type ClusterSpec = Pick<AccessSpec, 'server' | 'proxyUrl' | 'ca' | 'insecureSkipVerify' | 'serverName'>;
type UserSpec = Pick<AccessSpec, 'token' | 'clientCert' | 'clientKey' | 'basic' | 'exec'>;

class SpecReader {
  private readonly dir: string;
  private readonly checkIntervalMs: number | undefined;
  /** The cluster as an exec plugin sees it (KUBERNETES_EXEC_INFO), set by cluster(). */
  private clusterInfo: Record<string, unknown> = {};
  private caForPlugin: Secret | undefined;

  constructor(path: string, checkIntervalMs: number | undefined) {
    this.dir = dirname(resolve(path));
    this.checkIntervalMs = checkIntervalMs;
  }

  cluster(cluster: Fields): ClusterSpec {
    const server = cluster.requiredString('server');
    checkUrl(server, cluster.where('server'), ['http:', 'https:']);
    const proxyUrl = cluster.string('proxy-url');
    if (proxyUrl !== undefined) checkUrl(proxyUrl, cluster.where('proxy-url'), ['http:', 'https:']);
    const ca = this.secret(cluster, 'certificate-authority-data', 'certificate-authority');
    const insecureSkipVerify = cluster.boolean('insecure-skip-tls-verify');
    if (insecureSkipVerify && ca) {
      throw new KubeconfigError(
        `${cluster.where()}: insecure-skip-tls-verify cannot be combined with a certificate authority`,
      );
    }
    const serverName = cluster.string('tls-server-name');
    this.clusterInfo = {
      server,
      ...(serverName ? { 'tls-server-name': serverName } : {}),
      ...(insecureSkipVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(proxyUrl ? { 'proxy-url': proxyUrl } : {}),
      ...execExtension(cluster),
    };
    this.caForPlugin = ca;
    return { server, proxyUrl, ca, insecureSkipVerify, serverName };
  }

  user(user: Fields, name: string): UserSpec {
    const authProvider = user.mapping('auth-provider')?.string('name');
    if (authProvider !== undefined || user.has('auth-provider')) {
      throw new KubeconfigError(
        `${user.where('auth-provider')}: the legacy auth-provider "${authProvider ?? '?'}" of user "${name}" ` +
          'is not supported (client-go removed the gcp and azure providers); use an exec credential plugin ' +
          'instead, e.g. kubelogin (OIDC, Azure) or gke-gcloud-auth-plugin (GKE)',
      );
    }
    for (const field of ['as', 'as-uid', 'as-groups', 'as-user-extra']) {
      if (user.has(field)) throw new KubeconfigError(`${user.where(field)}: impersonation is not supported`);
    }
    const clientCert = this.secret(user, 'client-certificate-data', 'client-certificate');
    const clientKey = this.secret(user, 'client-key-data', 'client-key');
    if ((clientCert === undefined) !== (clientKey === undefined)) {
      throw new KubeconfigError(
        `${user.where()}: user "${name}" has a client ${clientCert ? 'certificate without a key' : 'key without a certificate'}`,
      );
    }
    const inlineToken = user.string('token');
    const token: Secret | undefined =
      inlineToken !== undefined ? { value: inlineToken } : this.fileSecret(user, 'tokenFile');
    const username = user.string('username');
    const password = user.string('password');
    if ((username !== undefined || password !== undefined) && token !== undefined) {
      throw new KubeconfigError(`${user.where()}: username/password and a token cannot both be set`);
    }
    const basic =
      username !== undefined || password !== undefined
        ? { username: username ?? '', password: password ?? '' }
        : undefined;
    const execFields = user.mapping('exec');
    const exec = execFields ? this.exec(execFields) : undefined;
    return { token, clientCert, clientKey, basic, exec };
  }

  private exec(exec: Fields): ExecPluginConfig {
    const apiVersion = exec.requiredString('apiVersion');
    if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      throw new KubeconfigError(
        `${exec.where('apiVersion')}: "${apiVersion}" is not supported (use ${EXEC_API_VERSIONS.join(' or ')})`,
      );
    }
    if (exec.string('interactiveMode') === 'Always') {
      throw new KubeconfigError(
        `${exec.where('interactiveMode')}: the plugin needs a terminal (Always), and the agent has none`,
      );
    }
    let command = exec.requiredString('command');
    // client-go resolves a relative command only when it names a path ("./bin/x"), not a PATH lookup.
    if (!isAbsolute(command) && /[\\/]/.test(command)) command = resolve(this.dir, command);
    const argsValue = exec.raw('args') ?? [];
    if (!Array.isArray(argsValue) || argsValue.some(arg => typeof arg !== 'string')) {
      throw new KubeconfigError(`${exec.where('args')} must be a list of strings`);
    }
    const env = exec.list('env').map(item => ({
      name: item.requiredString('name'),
      value: item.string('value') ?? '',
    }));
    const config: ExecPluginConfig = {
      apiVersion: apiVersion as ExecApiVersion,
      command,
      args: argsValue as string[],
      env,
      installHint: exec.string('installHint'),
    };
    if (exec.boolean('provideClusterInfo')) config.cluster = this.pluginCluster();
    return config;
  }

  private pluginCluster(): Record<string, unknown> {
    const ca = this.caForPlugin;
    // The plugin gets the CA as bytes whichever way the kubeconfig gave it.
    const caText =
      ca === undefined ? undefined : 'value' in ca ? ca.value : readFileSync(ca.file.path, 'utf8');
    return {
      ...this.clusterInfo,
      ...(caText ? { 'certificate-authority-data': Buffer.from(caText).toString('base64') } : {}),
    };
  }

  /** Inline `*-data` (base64) wins over the file field, as in client-go. */
  private secret(fields: Fields, dataField: string, fileField: string): Secret | undefined {
    const data = fields.base64(dataField);
    if (data !== undefined) return { value: data };
    return this.fileSecret(fields, fileField);
  }

  private fileSecret(fields: Fields, fileField: string): Secret | undefined {
    const file = fields.string(fileField);
    if (file === undefined) return undefined;
    const path = isAbsolute(file) ? file : resolve(this.dir, file);
    return {
      file: new WatchedFile(path, fields.where(fileField), { checkIntervalMs: this.checkIntervalMs }),
    };
  }
}

function execExtension(cluster: Fields): Record<string, unknown> {
  const extension = cluster
    .list('extensions')
    .find(item => item.string('name') === 'client.authentication.k8s.io/exec');
  return extension ? { config: extension.raw('extension') } : {};
}

function checkUrl(value: string, where: string, protocols: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KubeconfigError(`${where}: "${value}" is not a URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new KubeconfigError(
      `${where}: scheme ${url.protocol.replace(/:$/, '')} is not supported (${protocols.join(' or ')})`,
    );
  }
}
