import { chmodSync, mkdirSync, readFileSync } from 'node:fs';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { KubeClient } from '../../../../src/kube/client.js';
import { KubeApiError } from '../../../../src/kube/errors.js';
import { KubeconfigError, loadKubeconfig } from '../../../../src/kube/kubeconfig/index.js';
import { FakeApiServer, sendJson, status } from '../fake-api-server.js';
import { base64, TempDir } from './temp-dir.js';

const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';

/**
 * A credential plugin as a tiny node script: it logs each run (argv, KUBERNETES_EXEC_INFO, env) and
 * answers per PLUGIN_MODE: `token` (token-<run>), `cert`, `fail` (exit 3 with a stderr message) or
 * `v1beta1` (an answer of the wrong apiVersion).
 */
const PLUGIN = `
import { appendFileSync, readFileSync } from 'node:fs';
const log = process.env.PLUGIN_LOG;
appendFileSync(log, JSON.stringify({
  args: process.argv.slice(2),
  info: JSON.parse(process.env.KUBERNETES_EXEC_INFO),
  extra: process.env.PLUGIN_EXTRA,
}) + '\\n');
const runs = readFileSync(log, 'utf8').trim().split('\\n').length;
const mode = process.env.PLUGIN_MODE;
if (mode === 'fail') {
  process.stderr.write('error: login required, run "tool login"\\n');
  process.exit(3);
}
const status = mode === 'cert'
  ? { clientCertificateData: 'CERT-' + runs, clientKeyData: 'KEY-' + runs }
  : { token: 'token-' + runs };
if (process.env.PLUGIN_EXPIRES) status.expirationTimestamp = process.env.PLUGIN_EXPIRES;
const apiVersion = mode === 'v1beta1' ? 'client.authentication.k8s.io/v1beta1' : 'client.authentication.k8s.io/v1';
process.stdout.write(JSON.stringify({ apiVersion, kind: 'ExecCredential', status }));
`;

describe('exec credential plugins', () => {
  let dir: TempDir;
  let script: string;
  let logFile: string;

  beforeEach(() => {
    dir = new TempDir();
    script = dir.write('plugin.mjs', PLUGIN);
    logFile = `${dir.path}/runs.log`;
  });
  afterEach(() => dir.remove());

  /** Loads a kubeconfig whose user runs the plugin with these env settings. */
  function access(
    env: Record<string, string>,
    options: { server?: string; exec?: string; cluster?: string } = {},
  ) {
    const envYaml = Object.entries({ PLUGIN_LOG: logFile, ...env })
      .map(([name, value]) => `      - { name: ${name}, value: "${value}" }`)
      .join('\n');
    const text = [
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${options.server ?? 'https://api.example:6443'}`,
      `    certificate-authority-data: ${base64(CA)}`,
      ...(options.cluster ? [options.cluster] : []),
      'users:',
      '- name: u',
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1',
      `      command: ${process.execPath}`,
      `      args: [${script}, --flag]`,
      '      interactiveMode: Never',
      '      env:',
      envYaml,
      ...(options.exec ? [options.exec] : []),
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
    ].join('\n');
    return loadKubeconfig(dir.write('config', text));
  }

  const runs = (): { args: string[]; info: Record<string, unknown>; extra?: string }[] =>
    readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map(line => JSON.parse(line) as { args: string[]; info: Record<string, unknown>; extra?: string });

  it('runs the plugin with its args, env and KUBERNETES_EXEC_INFO and sends its token', async () => {
    const credentials = await access({ PLUGIN_EXTRA: 'from-kubeconfig' }).credentials();
    expect(credentials.headers).toEqual({ authorization: 'Bearer token-1' });
    expect(credentials.tls.ca).toBe(CA);
    expect(runs()).toEqual([
      {
        args: ['--flag'],
        extra: 'from-kubeconfig',
        info: {
          apiVersion: 'client.authentication.k8s.io/v1',
          kind: 'ExecCredential',
          spec: { interactive: false },
        },
      },
    ]);
  });

  it('hands the cluster to the plugin when provideClusterInfo is set', async () => {
    await access(
      {},
      {
        exec: '      provideClusterInfo: true',
        cluster: [
          '    tls-server-name: kubernetes',
          '    extensions:',
          '    - name: client.authentication.k8s.io/exec',
          '      extension: { audience: vk }',
        ].join('\n'),
      },
    ).credentials();
    expect(runs()[0]!.info['spec']).toEqual({
      interactive: false,
      cluster: {
        server: 'https://api.example:6443',
        'tls-server-name': 'kubernetes',
        'certificate-authority-data': base64(CA),
        config: { audience: 'vk' },
      },
    });
  });

  it('reuses the credential until its expirationTimestamp, one run for concurrent callers', async () => {
    const cached = access({ PLUGIN_EXPIRES: new Date(Date.now() + 3_600_000).toISOString() });
    const answers = await Promise.all([cached.credentials(), cached.credentials()]);
    await cached.credentials();
    expect(answers.map(a => a.headers['authorization'])).toEqual(['Bearer token-1', 'Bearer token-1']);
    expect(runs()).toHaveLength(1);
  });

  it('runs the plugin again once the credential has expired', async () => {
    const expired = access({ PLUGIN_EXPIRES: new Date(Date.now() - 1000).toISOString() });
    expect((await expired.credentials()).headers['authorization']).toBe('Bearer token-1');
    expect((await expired.credentials()).headers['authorization']).toBe('Bearer token-2');
    expect(runs()).toHaveLength(2);
  });

  it('runs the plugin again after the API server answers 401 to its token', async () => {
    const server = await FakeApiServer.start();
    server.route = (req, res) =>
      req.headers.authorization === 'Bearer token-1'
        ? sendJson(res, 401, status(401, 'Unauthorized'))
        : sendJson(res, 200, { kind: 'Pod' });
    const client = KubeClient.create({ kubeConfig: access({}, { server: server.url }) });
    try {
      const first = await client.requestJson('GET', '/api/v1/pods').catch((e: unknown) => e);
      expect(first).toBeInstanceOf(KubeApiError);
      expect((first as KubeApiError).code).toBe(401);
      expect(await client.requestJson('GET', '/api/v1/pods')).toEqual({ kind: 'Pod' });
      expect(await client.requestJson('GET', '/api/v1/pods')).toEqual({ kind: 'Pod' });
      expect(server.requests.map(r => r.headers.authorization)).toEqual([
        'Bearer token-1',
        'Bearer token-2',
        'Bearer token-2',
      ]);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('uses a client certificate the plugin returns', async () => {
    const { headers, tls } = await access({ PLUGIN_MODE: 'cert' }).credentials();
    expect(headers).toEqual({});
    expect(tls).toMatchObject({ cert: 'CERT-1', key: 'KEY-1', ca: CA });
  });

  it('fails with the exit code and the stderr of a failing plugin', async () => {
    const failing = access({ PLUGIN_MODE: 'fail' }).credentials();
    await expect(failing).rejects.toThrow(KubeconfigError);
    await expect(access({ PLUGIN_MODE: 'fail' }).credentials()).rejects.toThrow(
      /exec plugin ".*" exited with code 3: error: login required, run "tool login"/,
    );
  });

  it('rejects an answer of another apiVersion than asked for', async () => {
    await expect(access({ PLUGIN_MODE: 'v1beta1' }).credentials()).rejects.toThrow(
      /answered ExecCredential client.authentication.k8s.io\/v1beta1, expected ExecCredential client.authentication.k8s.io\/v1/,
    );
  });

  it('names a missing plugin and shows its install hint', async () => {
    const path = dir.write(
      'missing',
      [
        'clusters: [{ name: c, cluster: { server: "https://a" } }]',
        'users:',
        '- name: u',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        '      command: vk-no-such-credential-plugin',
        '      installHint: install it with `brew install vk-plugin`',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    );
    await expect(loadKubeconfig(path).credentials()).rejects.toThrow(
      /exec plugin "vk-no-such-credential-plugin" was not found\ninstall it with `brew install vk-plugin`/,
    );
  });

  it('resolves a relative command path against the kubeconfig directory', async () => {
    mkdirSync(`${dir.path}/bin`);
    chmodSync(dir.write('bin/plugin', `#!${process.execPath}\n${PLUGIN}`), 0o755);
    const path = dir.write(
      'relative',
      [
        'clusters: [{ name: c, cluster: { server: "https://a" } }]',
        'users:',
        '- name: u',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        '      command: ./bin/plugin',
        `      env: [{ name: PLUGIN_LOG, value: "${logFile}" }]`,
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    );
    expect((await loadKubeconfig(path).credentials()).headers).toEqual({ authorization: 'Bearer token-1' });
  });
});
