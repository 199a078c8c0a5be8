import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';

import { parseCommandLine, UsageError } from '../../../src/cli/flags.js';

describe('virtual-kubelet flags', () => {
  it('has upstream defaults, with the kubelet-like ones where upstream is too tight', () => {
    const config = parseCommandLine(['--provider', 'mock'], { KUBECONFIG: '/tmp/kc' });
    expect(config).toMatchObject({
      kubeconfig: '/tmp/kc',
      nodeName: 'virtual-kubelet',
      operatingSystem: 'linux',
      provider: 'mock',
      listenHost: '0.0.0.0',
      listenPort: 10250,
      metricsAddress: { host: '0.0.0.0', port: 10255 },
      taint: { key: 'virtual-kubelet.io/provider', value: undefined, effect: 'NoSchedule' },
      podSyncWorkers: 10,
      fullResyncPeriodMs: 60_000,
      streamCreationTimeoutMs: 30_000,
      kubeApiQps: 500,
      kubeApiBurst: 1000,
      anonymousAuth: false,
    });
  });

  it('reads upstream environment variables', () => {
    const config = parseCommandLine(['--provider', 'fargate'], {
      DEFAULT_NODE_NAME: 'vk-1',
      KUBELET_PORT: '11250',
      VKUBELET_POD_IP: '10.1.2.3',
      VKUBELET_TAINT_KEY: 'example.com/vk',
      VKUBELET_TAINT_VALUE: 'special',
      VKUBELET_TAINT_EFFECT: 'NoExecute',
      APISERVER_CERT_LOCATION: '/c.crt',
      APISERVER_KEY_LOCATION: '/c.key',
      APISERVER_CA_CERT_LOCATION: '/ca.crt',
    });
    expect(config).toMatchObject({
      nodeName: 'vk-1',
      listenPort: 11250,
      nodeIP: '10.1.2.3',
      taint: { key: 'example.com/vk', value: 'special', effect: 'NoExecute' },
      tlsCertFile: '/c.crt',
      tlsKeyFile: '/c.key',
      clientCaFile: '/ca.crt',
    });
  });

  it('takes flags over defaults', () => {
    const config = parseCommandLine(
      [
        '--provider=mock',
        '--nodename=n1',
        '--os=windows',
        '--disable-taint',
        '--pod-sync-workers=3',
        '--full-resync-period=30s',
        '--listen-address=127.0.0.1:0',
        '--metrics-addr=',
        '--node-labels=a=1,b=2',
      ],
      {},
    );
    expect(config).toMatchObject({
      nodeName: 'n1',
      operatingSystem: 'windows',
      taint: undefined,
      podSyncWorkers: 3,
      fullResyncPeriodMs: 30_000,
      listenHost: '127.0.0.1',
      listenPort: 0,
      metricsAddress: undefined,
      nodeLabels: { a: '1', b: '2' },
    });
  });

  it.each([
    [['--provider', 'mock', '--pod-sync-workers', '0'], CommanderError, /positive integer/],
    [['--provider', 'mock', '--os', 'plan9'], CommanderError, /Allowed choices/],
    [['--provider', 'mock', '--full-resync-period', 'soon'], CommanderError, /invalid duration/],
    [['--provider', 'mock', '--no-such-flag'], CommanderError, /unknown option/],
    [[], UsageError, /--provider is required/],
    [['--provider', 'mock', '--tls-cert-file', '/x'], UsageError, /go together/],
    [
      ['--provider', 'mock', '--nodename', 'Bad_Name!'],
      UsageError,
      /--nodename "Bad_Name!" is not a valid node name/,
    ],
    [['--provider', 'mock', '--nodename', `${'a'.repeat(64)}.b`], UsageError, /not a valid node name/],
    [
      ['--provider', 'mock', '--node-ip', 'not-an-ip'],
      UsageError,
      /--node-ip "not-an-ip" is not an IP address/,
    ],
    [['--provider', 'mock', '--metrics-addr', 'nonsense'], CommanderError, /expected host:port/],
    [['--provider', 'mock', '--metrics-addr', 'example.com:80'], CommanderError, /not an IP address/],
    [['--provider', 'mock', '--listen-address', '::1:80'], CommanderError, /in brackets/],
    [['--provider', 'mock', '--listen-address', '127.0.0.1:65536'], CommanderError, /not a port number/],
    [['--provider', 'mock', '--listen-address', '127.0.0.1:8o'], CommanderError, /not a port number/],
    [['--provider', 'mock', '--stream-idle-timeout', '0'], CommanderError, /longer than 0/],
    [['--provider', 'mock', '--node-labels', 'bad key=1'], CommanderError, /not a valid label key/],
    [['--provider', 'mock', '--node-labels', 'a=b c'], CommanderError, /not a valid label value/],
    [['--provider', 'mock', '--taint', 'a b'], CommanderError, /not a valid taint key/],
    [['--provider', 'mock', '--provider-call-timeout', '0'], CommanderError, /longer than 0/],
    [['--provider', 'mock', '--leader-elect-retry-period', 'soon'], CommanderError, /invalid duration/],
    [
      ['--provider', 'mock', '--leader-elect', '--leader-elect-lease-duration', '5s'],
      UsageError,
      /--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline/,
    ],
    [
      ['--provider', 'mock', '--leader-elect', '--leader-elect-renew-deadline', '2s'],
      UsageError,
      /--leader-elect-renew-deadline must be longer than 1.2 × --leader-elect-retry-period/,
    ],
    [
      ['--provider', 'mock', '--leader-elect', '--leader-elect-lease-duration', '15500ms'],
      UsageError,
      /--leader-elect-lease-duration must be a whole number of seconds/,
    ],
    [
      ['--provider', 'mock', '--leader-elect', '--leader-elect-lease-name', 'Bad_Name'],
      UsageError,
      /--leader-elect-lease-name "Bad_Name" is not a valid Lease name/,
    ],
    [
      ['--provider', 'mock', '--leader-elect', '--leader-elect-lease-namespace', 'a.b'],
      UsageError,
      /--leader-elect-lease-namespace "a.b" is not a valid namespace/,
    ],
  ])('rejects %j clearly', (argv, type, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(type);
    expect(() => parseCommandLine(argv, {})).toThrow(message);
  });

  it('leader election: off by default; on, the node Lease and client-go timings unless told otherwise', () => {
    expect(parseCommandLine(['--provider', 'mock'], {}).leaderElection).toBeUndefined();
    expect(
      parseCommandLine(['--provider', 'mock', '--nodename', 'vk-9', '--leader-elect'], {}),
    ).toMatchObject({
      providerCallTimeoutMs: 120_000,
      leaderElection: {
        leaseName: 'vk-9',
        leaseNamespace: 'kube-node-lease',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
    });
    const custom = parseCommandLine(
      [
        '--provider=mock',
        '--leader-elect',
        '--leader-elect-lease-name=vk-leader',
        '--leader-elect-lease-namespace=vk-system',
        '--leader-elect-lease-duration=6s',
        '--leader-elect-renew-deadline=4s',
        '--leader-elect-retry-period=1s',
        '--provider-call-timeout=5s',
      ],
      {},
    );
    expect(custom).toMatchObject({
      providerCallTimeoutMs: 5_000,
      leaderElection: {
        leaseName: 'vk-leader',
        leaseNamespace: 'vk-system',
        leaseDurationMs: 6_000,
        renewDeadlineMs: 4_000,
        retryPeriodMs: 1_000,
      },
    });
  });

  it.each([
    [{ KUBELET_PORT: 'abc' }, /\$KUBELET_PORT: not a port number/],
    [{ KUBELET_PORT: '70000' }, /\$KUBELET_PORT: not a port number/],
    [{ DEFAULT_NODE_NAME: 'Bad_Name' }, /\$DEFAULT_NODE_NAME "Bad_Name" is not a valid node name/],
    [{ VKUBELET_POD_IP: '10.0.0' }, /\$VKUBELET_POD_IP "10.0.0" is not an IP address/],
    [{ VKUBELET_TAINT_KEY: 'a b' }, /\$VKUBELET_TAINT_KEY "a b" is not a valid taint key/],
    [{ VKUBELET_TAINT_VALUE: 'a b' }, /\$VKUBELET_TAINT_VALUE "a b" is not a valid taint value/],
    [{ APISERVER_CERT_LOCATION: '/c.crt' }, /go together/],
  ])('rejects a bad environment variable %j, naming it', (env, message) => {
    expect(() => parseCommandLine(['--provider', 'mock'], env)).toThrow(UsageError);
    expect(() => parseCommandLine(['--provider', 'mock'], env)).toThrow(message);
  });

  it('accepts IPv6 addresses in brackets and leaves a flag over its environment variable', () => {
    const config = parseCommandLine(
      [
        '--provider',
        'mock',
        '--listen-address',
        '[::1]:0',
        '--node-ip',
        'fd00::1',
        '--nodename',
        'n.example',
      ],
      { KUBELET_PORT: 'abc', VKUBELET_POD_IP: 'x', DEFAULT_NODE_NAME: 'Bad' },
    );
    expect(config).toMatchObject({
      listenHost: '::1',
      listenPort: 0,
      nodeIP: 'fd00::1',
      nodeName: 'n.example',
    });
  });

  it('rejects a bad taint effect from the environment', () => {
    expect(() => parseCommandLine(['--provider', 'mock'], { VKUBELET_TAINT_EFFECT: 'Sometimes' })).toThrow(
      /VKUBELET_TAINT_EFFECT must be one of/,
    );
  });
});
