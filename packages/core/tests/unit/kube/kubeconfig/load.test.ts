import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  accessFromKubeconfigText,
  KubeconfigError,
  loadKubeconfig,
} from '../../../../src/kube/kubeconfig/index.js';
import { base64, TempDir } from './temp-dir.js';

const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';

/** A kubeconfig with one context `ctx` over cluster `c` and user `u`, given their fields as YAML. */
function kubeconfig(cluster: string, user: string, extra = ''): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c',
    '  cluster:',
    ...cluster.split('\n').map(line => `    ${line}`),
    'users:',
    '- name: u',
    '  user:',
    ...user.split('\n').map(line => `    ${line}`),
    'contexts:',
    '- name: ctx',
    '  context: { cluster: c, user: u, namespace: ns }',
    'current-context: ctx',
    extra,
  ].join('\n');
}

describe('loadKubeconfig', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(() => dir.remove());

  it('reads server, inline CA and token of the current context', async () => {
    const path = dir.write(
      'config',
      kubeconfig(
        `server: https://api.example:6443/\ncertificate-authority-data: ${base64(CA)}`,
        'token: abc',
      ),
    );
    const access = loadKubeconfig(path);
    expect(access.server).toBe('https://api.example:6443');
    expect(access.proxyUrl).toBeUndefined();
    expect(access.description).toBe(`kubeconfig ${path} (context "ctx")`);
    expect(await access.credentials()).toEqual({
      headers: { authorization: 'Bearer abc' },
      tls: { ca: CA, cert: undefined, key: undefined, insecureSkipVerify: false, serverName: undefined },
    });
  });

  it('uses the given context instead of current-context', async () => {
    const path = dir.write(
      'config',
      [
        'clusters:',
        '- { name: one, cluster: { server: "https://one:443" } }',
        '- { name: two, cluster: { server: "https://two:443" } }',
        'users: [{ name: u, user: { token: t } }]',
        'contexts:',
        '- { name: first, context: { cluster: one, user: u } }',
        '- { name: second, context: { cluster: two, user: u } }',
        'current-context: first',
      ].join('\n'),
    );
    expect(loadKubeconfig(path).server).toBe('https://one:443');
    expect(loadKubeconfig(path, { context: 'second' }).server).toBe('https://two:443');
  });

  it('resolves relative file paths against the kubeconfig directory', async () => {
    mkdirSync(join(dir.path, 'pki'));
    dir.write('pki/ca.crt', CA);
    dir.write('pki/client.crt', CERT);
    dir.write('pki/client.key', KEY);
    dir.write('pki/token', 'file-token\n');
    const path = dir.write(
      'config',
      kubeconfig(
        'server: https://api:6443\ncertificate-authority: pki/ca.crt',
        'client-certificate: ./pki/client.crt\nclient-key: pki/client.key\ntokenFile: pki/token',
      ),
    );
    // Loaded from another working directory: paths still resolve next to the file.
    const { headers, tls } = await loadKubeconfig(path).credentials();
    expect(headers).toEqual({ authorization: 'Bearer file-token' });
    expect(tls).toMatchObject({ ca: CA, cert: CERT, key: KEY });
  });

  it('prefers inline data over files and an inline token over tokenFile, as client-go does', async () => {
    const path = dir.write(
      'config',
      kubeconfig(
        `server: https://api:6443\ncertificate-authority: missing-ca.crt\ncertificate-authority-data: ${base64(CA)}`,
        `client-certificate-data: ${base64(CERT)}\nclient-key-data: ${base64(KEY)}\ntoken: inline\ntokenFile: missing`,
      ),
    );
    const { headers, tls } = await loadKubeconfig(path).credentials();
    expect(headers).toEqual({ authorization: 'Bearer inline' });
    expect(tls).toMatchObject({ ca: CA, cert: CERT, key: KEY });
  });

  it('reads insecure-skip-tls-verify, tls-server-name, proxy-url and basic auth', async () => {
    const path = dir.write(
      'config',
      kubeconfig(
        'server: https://10.0.0.1:6443\ninsecure-skip-tls-verify: true\ntls-server-name: kubernetes\nproxy-url: http://proxy:3128',
        'username: admin\npassword: s3cret',
      ),
    );
    const access = loadKubeconfig(path);
    expect(access.proxyUrl).toBe('http://proxy:3128');
    const { headers, tls } = await access.credentials();
    expect(headers).toEqual({ authorization: `Basic ${base64('admin:s3cret')}` });
    expect(tls).toMatchObject({ insecureSkipVerify: true, serverName: 'kubernetes', ca: undefined });
  });

  it('reads JSON kubeconfigs (JSON is YAML)', async () => {
    const json = {
      clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:8080' } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    };
    const access = loadKubeconfig(dir.write('config.json', JSON.stringify(json)));
    expect(access.server).toBe('http://127.0.0.1:8080');
    expect((await access.credentials()).headers).toEqual({});
  });

  it('picks up a token file rewritten on disk', async () => {
    dir.write('token', 'one');
    const path = dir.write('config', kubeconfig('server: https://api:6443', 'tokenFile: token'));
    const access = loadKubeconfig(path, { fileCheckIntervalMs: 0 });
    expect((await access.credentials()).headers['authorization']).toBe('Bearer one');
    dir.write('token', 'second');
    expect((await access.credentials()).headers['authorization']).toBe('Bearer second');
  });

  describe('errors name the file and the field', () => {
    const load = (text: string) => () => accessFromKubeconfigText(text, '/etc/kc');
    const cases: [string, string, RegExp][] = [
      ['bad YAML', 'clusters: [unclosed', /^kubeconfig \/etc\/kc is not valid YAML/],
      [
        'no current context',
        kubeconfig('server: https://a', 'token: t').replace('current-context: ctx', 'current-context: ""'),
        /current-context is not set/,
      ],
      [
        'a missing context',
        kubeconfig('server: https://a', 'token: t').replace('current-context: ctx', 'current-context: nope'),
        /kubeconfig \/etc\/kc: contexts has no context named "nope"/,
      ],
      [
        'a missing cluster',
        kubeconfig('server: https://a', 'token: t').replace('- name: c\n', '- name: other\n'),
        /clusters has no cluster named "c"/,
      ],
      [
        'a missing user',
        kubeconfig('server: https://a', 'token: t').replace('- name: u\n', '- name: other\n'),
        /users has no user named "u"/,
      ],
      [
        'a missing server',
        kubeconfig('insecure-skip-tls-verify: true', 'token: t'),
        /clusters\[0\]\.cluster\.server is missing/,
      ],
      [
        'a server that is not a URL',
        kubeconfig('server: "//api:6443"', 'token: t'),
        /clusters\[0\]\.cluster\.server: "\/\/api:6443" is not a URL/,
      ],
      [
        'a wrongly typed field',
        kubeconfig('server: https://a\ninsecure-skip-tls-verify: "yes"', 'token: t'),
        /cluster\.insecure-skip-tls-verify must be true or false/,
      ],
      [
        'bad base64',
        kubeconfig('server: https://a', 'client-certificate-data: "%%%"\nclient-key-data: a2V5'),
        /users\[0\]\.user\.client-certificate-data is not valid base64/,
      ],
      [
        'a certificate without key',
        kubeconfig('server: https://a', `client-certificate-data: ${base64(CERT)}`),
        /user "u" has a client certificate without a key/,
      ],
      [
        'an unreadable file',
        kubeconfig(
          'server: https://a',
          'client-certificate: /nonexistent/c.crt\nclient-key: /nonexistent/c.key',
        ),
        /users\[0\]\.user\.client-certificate: cannot read \/nonexistent\/c\.crt/,
      ],
      [
        'a CA with insecure-skip-tls-verify',
        kubeconfig(
          `server: https://a\ninsecure-skip-tls-verify: true\ncertificate-authority-data: ${base64(CA)}`,
          'token: t',
        ),
        /cannot be combined with a certificate authority/,
      ],
      [
        'a socks proxy',
        kubeconfig('server: https://a\nproxy-url: socks5://p:1080', 'token: t'),
        /proxy-url: scheme socks5 is not supported/,
      ],
      [
        'token and basic auth together',
        kubeconfig('server: https://a', 'token: t\nusername: u\npassword: p'),
        /username\/password and a token cannot both be set/,
      ],
      [
        'impersonation',
        kubeconfig('server: https://a', 'token: t\nas: someone'),
        /user\.as: impersonation is not supported/,
      ],
      [
        'an old exec apiVersion',
        kubeconfig(
          'server: https://a',
          'exec: { apiVersion: client.authentication.k8s.io/v1alpha1, command: x }',
        ),
        /exec\.apiVersion: "client\.authentication\.k8s\.io\/v1alpha1" is not supported/,
      ],
      [
        'an exec without command',
        kubeconfig('server: https://a', 'exec: { apiVersion: client.authentication.k8s.io/v1 }'),
        /exec\.command is missing/,
      ],
    ];
    it.each(cases)('%s', (_name, text, message) => {
      expect(load(text)).toThrow(KubeconfigError);
      expect(load(text)).toThrow(message);
    });

    it('a legacy auth-provider, pointing at exec plugins instead', () => {
      const text = kubeconfig(
        'server: https://a',
        'auth-provider: { name: oidc, config: { idp-issuer-url: x } }',
      );
      expect(load(text)).toThrow(
        /auth-provider "oidc" of user "u" is not supported.*exec credential plugin.*kubelogin/,
      );
    });

    it('an unreadable kubeconfig', () => {
      expect(() => loadKubeconfig(join(dir.path, 'absent'))).toThrow(
        /^cannot read kubeconfig .*absent: ENOENT/,
      );
    });
  });
});
