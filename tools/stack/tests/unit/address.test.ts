import type { NetworkInterfaceInfo } from 'node:os';

import { describe, expect, it } from 'vitest';

import { defaultRouteInterface, hostAddress, unproxyableReason } from '../../src/address.js';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  family: 'IPv4',
  internal,
  netmask: '255.255.255.0',
  mac: '00:00:00:00:00:00',
  cidr: `${address}/24`,
});

const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
vkbr1\t00580A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
`;

describe('the node address', () => {
  it('reads the default route interface from /proc/net/route', () => {
    expect(defaultRouteInterface(ROUTES)).toBe('eth1');
    expect(defaultRouteInterface('Iface\tDestination\n')).toBeUndefined();
  });

  it("is the default route interface's IPv4, else a stable interface's, never loopback or link-local", () => {
    const interfaces = {
      lo: [v4('127.0.0.1', true)],
      vkbr1: [v4('10.88.5.1')],
      eth0: [v4('169.254.3.3'), v4('192.0.2.2')],
      eth1: [v4('10.0.2.15')],
    };
    expect(hostAddress(interfaces, 'eth1')).toBe('10.0.2.15');
    expect(hostAddress(interfaces, undefined)).toBe('192.0.2.2');
    expect(hostAddress({ lo: [v4('127.0.0.1', true)], vkbr1: [v4('10.88.5.1')] }, undefined)).toBeUndefined();
  });

  it('names why the API server would not proxy to an address', () => {
    expect(unproxyableReason('127.0.0.1')).toBe('a loopback address');
    expect(unproxyableReason('169.254.1.1')).toBe('a link-local address');
    expect(unproxyableReason('0.0.0.0')).toBe('not a single address');
    expect(unproxyableReason('192.0.2.2')).toBeUndefined();
  });
});
