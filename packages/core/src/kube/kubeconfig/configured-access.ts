import { ExecCredentialPlugin, type ExecCredentials, type ExecPluginConfig } from './exec-plugin.js';
import type { ClusterAccess, RequestCredentials, TlsMaterial } from './types.js';
import type { WatchedFile } from './watched-file.js';

/** A value given inline, or a file read again when it changes. */
export type Secret = { value: string } | { file: WatchedFile };

/** Everything a ConfiguredAccess is built from, validated and with paths resolved. */
export interface AccessSpec {
  description: string;
  server: string;
  proxyUrl?: string;
  ca?: Secret;
  insecureSkipVerify?: boolean;
  serverName?: string;
  clientCert?: Secret;
  clientKey?: Secret;
  token?: Secret;
  basic?: { username: string; password: string };
  exec?: ExecPluginConfig;
}

/**
 * ClusterAccess over static values, files and an exec plugin. Precedence as client-go: a token
 * (inline or file) or basic auth in the config wins over a plugin's token, and a configured client
 * certificate over a plugin's certificate.
 */
export class ConfiguredAccess implements ClusterAccess {
  readonly server: string;
  readonly proxyUrl: string | undefined;
  readonly description: string;
  private readonly spec: AccessSpec;
  private readonly plugin: ExecCredentialPlugin | undefined;
  /** Which plugin answer each handed-out credential came from, so a 401 can invalidate it. */
  private readonly fromPlugin = new WeakMap<RequestCredentials, ExecCredentials>();

  constructor(spec: AccessSpec) {
    this.spec = spec;
    this.server = spec.server.replace(/\/+$/, '');
    this.proxyUrl = spec.proxyUrl;
    this.description = spec.description;
    this.plugin = spec.exec ? new ExecCredentialPlugin(spec.exec, spec.description) : undefined;
  }

  async credentials(): Promise<RequestCredentials> {
    const spec = this.spec;
    const [ca, cert, key, token, fromPlugin] = await Promise.all([
      reveal(spec.ca),
      reveal(spec.clientCert),
      reveal(spec.clientKey),
      reveal(spec.token),
      this.plugin?.credentials(),
    ]);
    const headers: Record<string, string> = {};
    if (token !== undefined) headers['authorization'] = `Bearer ${token.trim()}`;
    else if (spec.basic) {
      const basic = Buffer.from(`${spec.basic.username}:${spec.basic.password}`).toString('base64');
      headers['authorization'] = `Basic ${basic}`;
    } else if (fromPlugin?.token !== undefined) headers['authorization'] = `Bearer ${fromPlugin.token}`;
    const useConfiguredCert = cert !== undefined;
    const tls: TlsMaterial = {
      ca,
      cert: useConfiguredCert ? cert : fromPlugin?.clientCertificateData,
      key: useConfiguredCert ? key : fromPlugin?.clientKeyData,
      insecureSkipVerify: spec.insecureSkipVerify ?? false,
      serverName: spec.serverName,
    };
    const credentials: RequestCredentials = { headers, tls };
    if (fromPlugin) this.fromPlugin.set(credentials, fromPlugin);
    return credentials;
  }

  rejected(used: RequestCredentials): void {
    const fromPlugin = this.fromPlugin.get(used);
    if (fromPlugin) this.plugin?.rejected(fromPlugin);
  }
}

function reveal(secret: Secret | undefined): Promise<string | undefined> {
  if (secret === undefined) return Promise.resolve(undefined);
  return 'value' in secret ? Promise.resolve(secret.value) : secret.file.read();
}
