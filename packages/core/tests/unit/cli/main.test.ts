import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidInputError, type ProviderPlugin } from '@vkubelet/provider-kit';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { EXIT_USAGE, main, type ProcessControl } from '../../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A kubeconfig for an API server nobody listens on (port 1). */
const unreachable = join(dir, 'unreachable.kubeconfig');
writeFileSync(
  unreachable,
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  }),
);
const notPem = join(dir, 'not-pem');
writeFileSync(notPem, 'hello\n');

/** Flags every run here shares: the unreachable API server, free ports, quiet logs. */
const base = [
  ...['--kubeconfig', unreachable, '--listen-address', '127.0.0.1:0'],
  ...['--metrics-addr', '', '--log-level', 'error'],
];

/** Records exits instead of ending the test process. */
function fakeProcess(): ProcessControl & { exits: number[] } {
  const exits: number[] = [];
  return { exits, onSignals: () => () => undefined, exit: code => void exits.push(code) };
}

/** Runs main and returns its exit code and the stderr lines that are not JSON log lines. */
async function run(argv: string[], options: Parameters<typeof main>[1] = {}) {
  const stderr = captureStderr();
  try {
    const code = await main(argv, { process: fakeProcess(), ...options });
    const lines = stderr
      .text()
      .split('\n')
      .filter(line => line !== '' && !line.startsWith('{'));
    return { code, lines };
  } finally {
    stderr.restore();
  }
}

/** What the command writes to stdout or stderr, kept from the terminal. */
function capture(stream: NodeJS.WriteStream) {
  const chunks: string[] = [];
  const spy = vi.spyOn(stream, 'write').mockImplementation(chunk => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

const captureStderr = () => capture(process.stderr);

describe('virtual-kubelet main', () => {
  it.each([
    [['--provider', 'mock', '--pod-sync-workers', '0']],
    [['--bogus']],
    [['--provider', 'mock', '--os', 'plan9']],
    [[]],
  ])('exits with 2 on bad flags %j', async argv => {
    const stderr = captureStderr();
    try {
      expect(await main(argv)).toBe(EXIT_USAGE);
    } finally {
      stderr.restore();
    }
  });

  it('exits with 2 and names the problem for an unknown provider', async () => {
    const stderr = captureStderr();
    try {
      expect(await main(['--provider', 'nosuch', '--kubeconfig', '/nonexistent'])).toBe(EXIT_USAGE);
      expect(stderr.text()).toContain('provider "nosuch" is not available');
    } finally {
      stderr.restore();
    }
  });

  it('exits with 2 when the kubeconfig is missing outside a cluster', async () => {
    const stderr = captureStderr();
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(await main(['--provider', 'mock', '--kubeconfig', '/nonexistent/kubeconfig'])).toBe(EXIT_USAGE);
      expect(stderr.text()).toContain('/nonexistent/kubeconfig does not exist');
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
      stderr.restore();
    }
  });

  it('lists providers and prints its version', async () => {
    const out = capture(process.stdout);
    try {
      expect(await main(['providers'])).toBe(0);
      expect(await main(['version'])).toBe(0);
    } finally {
      out.restore();
    }
    expect(out.text()).toMatch(/^mock\ncri\nfargate\naci\neci\nnomad\n/);
    expect(out.text()).toMatch(/Version: \d+\.\d+\.\d+, kubelet version: v1\.36\.3-vkubelet-/);
  });
});

describe('virtual-kubelet bad input: exit 2 and one line naming the flag, variable or file', () => {
  it.each([
    [
      ['--provider', 'mock', ...base, '--nodename', 'Bad_Name!'],
      {},
      '--nodename "Bad_Name!" is not a valid node name',
    ],
    [
      ['--provider', 'mock', '--kubeconfig', unreachable],
      { KUBELET_PORT: 'abc' },
      '$KUBELET_PORT: not a port number',
    ],
    [
      ['--provider', 'mock', ...base, '--metrics-addr', 'nonsense'],
      {},
      "option '--metrics-addr <host:port>' argument 'nonsense' is invalid",
    ],
    [
      ['--provider', 'mock', ...base, '--node-ip', 'not-an-ip'],
      {},
      '--node-ip "not-an-ip" is not an IP address',
    ],
    [
      ['--provider', '/etc/hostname', ...base],
      {},
      '--provider "/etc/hostname" is not a provider name, a package or a .js/.mjs file',
    ],
    [
      ['--provider', './no-such-provider.mjs', ...base],
      {},
      'provider "./no-such-provider.mjs" is not available: ./no-such-provider.mjs does not exist',
    ],
    [
      ['--provider', 'mock', ...base, '--client-ca-file', join(dir, 'missing.crt')],
      {},
      `--client-ca-file: ENOENT: no such file or directory, open '${join(dir, 'missing.crt')}'`,
    ],
    [
      ['--provider', 'mock', ...base, '--client-ca-file', notPem],
      {},
      `--client-ca-file: ${notPem}: not a PEM certificate bundle`,
    ],
    [
      ['--provider', 'mock', ...base, '--tls-cert-file', notPem, '--tls-private-key-file', notPem],
      {},
      `--tls-cert-file/--tls-private-key-file: ${notPem}: not a PEM certificate`,
    ],
    [
      ['--provider', 'mock', ...base, '--leader-elect', '--leader-elect-renew-deadline', '20s'],
      {},
      '--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline',
    ],
    [
      ['--provider', 'mock', ...base, '--provider-config', join(dir, 'missing.json')],
      {},
      `--provider-config ${join(dir, 'missing.json')}: cannot read it: ENOENT`,
    ],
  ])('%j %j', async (argv, env, line) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const { code, lines } = await run(argv);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`virtual-kubelet: ${line}`);
      expect(code).toBe(EXIT_USAGE);
    } finally {
      process.env = saved;
    }
  });

  it('maps an InvalidInputError from a provider factory to exit 2 and its message on one line', async () => {
    const plugin: ProviderPlugin = {
      name: 'picky',
      create: async () => {
        throw new InvalidInputError('picky config /etc/picky.yaml:\n  region: required');
      },
    };
    const { code, lines } = await run(base, { plugin });
    expect(lines).toEqual(['virtual-kubelet: picky config /etc/picky.yaml: region: required']);
    expect(code).toBe(EXIT_USAGE);
  });

  it('`help` is a subcommand that prints the usage', async () => {
    const out = capture(process.stdout);
    try {
      expect((await run(['help'])).code).toBe(0);
    } finally {
      out.restore();
    }
    expect(out.text()).toContain('Usage: virtual-kubelet [options] [command]');
  });

  it('`version` works whatever the environment says', async () => {
    const saved = process.env.KUBELET_PORT;
    process.env.KUBELET_PORT = 'abc';
    const out = capture(process.stdout);
    try {
      expect((await run(['version'])).code).toBe(0);
    } finally {
      out.restore();
      if (saved === undefined) delete process.env.KUBELET_PORT;
      else process.env.KUBELET_PORT = saved;
    }
  });
});

describe('virtual-kubelet runtime failures: exit 1 and one line', () => {
  it('an API server unreachable until the start-up timeout names the server and the kubeconfig, without a stack', async () => {
    const control = fakeProcess();
    const { code, lines } = await run(['--provider', 'mock', ...base, '--startup-timeout', '2s'], {
      process: control,
    });
    expect(lines).toEqual([
      `virtual-kubelet: cannot reach the API server https://127.0.0.1:1 (kubeconfig ${unreachable} (context "x")): connect ECONNREFUSED 127.0.0.1:1`,
    ]);
    expect(code).toBe(1);
    // The agent ran: the process is ended, so nothing a provider left behind keeps it alive.
    expect(control.exits).toEqual([1]);
  });
});
