import { execFile, type ExecFileException } from 'node:child_process';

import { KubeconfigError } from './errors.js';

export const EXEC_API_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

/** The `exec` section of a kubeconfig user, paths already resolved. */
export interface ExecPluginConfig {
  apiVersion: ExecApiVersion;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
  /** The cluster handed to the plugin in KUBERNETES_EXEC_INFO when `provideClusterInfo` is set. */
  cluster?: Record<string, unknown>;
}

/** Credentials an exec plugin printed (ExecCredential `status`). */
export interface ExecCredentials {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Epoch ms after which the plugin runs again; undefined = until the server answers 401. */
  expiresAt?: number;
}

/** A plugin that hangs would stall every request; client-go has no limit, a minute is generous. */
const PLUGIN_TIMEOUT_MS = 60_000;

/**
 * An exec credential plugin (kubelogin, gke-gcloud-auth-plugin, aws eks get-token, …): run
 * without a terminal, its ExecCredential cached until `expirationTimestamp`, one run at a time.
 */
export class ExecCredentialPlugin {
  private readonly config: ExecPluginConfig;
  private readonly where: string;
  private readonly now: () => number;
  private cached: ExecCredentials | undefined;
  private running: Promise<ExecCredentials> | undefined;

  /** `where` names the kubeconfig and user, for error messages. */
  constructor(config: ExecPluginConfig, where: string, now: () => number = Date.now) {
    this.config = config;
    this.where = where;
    this.now = now;
  }

  /** Cached credentials while they have not expired, else the plugin's fresh answer. */
  credentials(): Promise<ExecCredentials> {
    const cached = this.cached;
    if (cached && (cached.expiresAt === undefined || this.now() < cached.expiresAt)) {
      return Promise.resolve(cached);
    }
    this.running ??= this.run()
      .then(credentials => (this.cached = credentials))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** The server rejected `used` (401): run the plugin again next time if it gave a token. */
  rejected(used: ExecCredentials): void {
    if (used.token !== undefined && this.cached === used) this.cached = undefined;
  }

  private async run(): Promise<ExecCredentials> {
    const { command, args, apiVersion } = this.config;
    const execInfo = {
      apiVersion,
      kind: 'ExecCredential',
      spec: { interactive: false, ...(this.config.cluster ? { cluster: this.config.cluster } : {}) },
    };
    const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(execInfo) };
    for (const { name, value } of this.config.env) env[name] = value;
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        command,
        args,
        { env, timeout: PLUGIN_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
        (err, out, stderr) => (err ? reject(this.failure(err, stderr)) : resolve(out)),
      );
      // Not interactive: the plugin must not wait for input.
      child.stdin?.end();
    });
    return this.parse(stdout);
  }

  private failure(err: ExecFileException, stderr: string): Error {
    const plugin = `${this.where}: exec plugin "${this.config.command}"`;
    if (err.code === 'ENOENT') {
      const hint = this.config.installHint ? `\n${this.config.installHint.trim()}` : '';
      return new KubeconfigError(`${plugin} was not found${hint}`, { cause: err });
    }
    const how = err.killed
      ? `timed out after ${PLUGIN_TIMEOUT_MS} ms`
      : typeof err.code === 'number'
        ? `exited with code ${err.code}`
        : err.message;
    const output = stderr.trim() ? `: ${stderr.trim().slice(-2000)}` : ' (no stderr)';
    return new KubeconfigError(`${plugin} ${how}${output}`, { cause: err });
  }

  private parse(stdout: string): ExecCredentials {
    const plugin = `${this.where}: exec plugin "${this.config.command}"`;
    let answer: unknown;
    try {
      answer = JSON.parse(stdout);
    } catch {
      throw new KubeconfigError(`${plugin} printed something that is not JSON: ${stdout.slice(0, 200)}`);
    }
    const { apiVersion, kind, status } = (answer ?? {}) as Record<string, unknown>;
    if (kind !== 'ExecCredential' || apiVersion !== this.config.apiVersion) {
      throw new KubeconfigError(
        `${plugin} answered ${String(kind)} ${String(apiVersion)}, expected ExecCredential ${this.config.apiVersion}`,
      );
    }
    if (typeof status !== 'object' || status === null) {
      throw new KubeconfigError(`${plugin} answered an ExecCredential without status`);
    }
    const fields = status as Record<string, unknown>;
    const text = (name: string): string | undefined => {
      const value = fields[name];
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') throw new KubeconfigError(`${plugin}: status.${name} must be a string`);
      return value;
    };
    const credentials: ExecCredentials = {
      token: text('token'),
      clientCertificateData: text('clientCertificateData'),
      clientKeyData: text('clientKeyData'),
    };
    const expiry = text('expirationTimestamp');
    if (expiry !== undefined) {
      const at = Date.parse(expiry);
      if (Number.isNaN(at)) {
        throw new KubeconfigError(`${plugin}: status.expirationTimestamp is not a time: ${expiry}`);
      }
      credentials.expiresAt = at;
    }
    if ((credentials.clientCertificateData === undefined) !== (credentials.clientKeyData === undefined)) {
      throw new KubeconfigError(`${plugin}: status has only one of clientCertificateData and clientKeyData`);
    }
    if (credentials.token === undefined && credentials.clientCertificateData === undefined) {
      throw new KubeconfigError(`${plugin}: status has neither a token nor a client certificate`);
    }
    return credentials;
  }
}
