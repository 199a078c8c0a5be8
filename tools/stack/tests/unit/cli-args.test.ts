import { describe, expect, it } from 'vitest';

import { parseUpArgs, UsageError } from '../../src/cli-args.js';

describe('parseUpArgs', () => {
  it('defaults to the mock provider, a stack named after it and node vkubelet-mock-0', () => {
    expect(parseUpArgs([])).toEqual({
      provider: 'mock',
      name: 'mock',
      nodeName: 'vkubelet-mock-0',
      address: undefined,
      agentFlags: [],
    });
  });

  it('picks out its own flags in both forms and passes every other argument to virtual-kubelet in order', () => {
    expect(
      parseUpArgs([
        '--log-level',
        'debug',
        '--provider=cri',
        '--name',
        'two',
        '--address',
        '192.0.2.9',
        '--pod-sync-workers=3',
      ]),
    ).toEqual({
      provider: 'cri',
      name: 'two',
      nodeName: 'vkubelet-cri-0',
      address: '192.0.2.9',
      agentFlags: ['--log-level', 'debug', '--pod-sync-workers=3'],
    });
  });

  it('refuses unknown providers, says which are pending, and checks names', () => {
    expect(() => parseUpArgs(['--provider', 'lambda'])).toThrow(
      /must be one of mock, cri, fargate, eci, not "lambda"/,
    );
    expect(() => parseUpArgs(['--provider', 'aci'])).toThrow(/aci: not wired into the local stack yet/);
    expect(() => parseUpArgs(['--name', 'Big_Name'])).toThrow(UsageError);
    expect(() => parseUpArgs(['--name'])).toThrow('--name needs a value');
    expect(() => parseUpArgs(['--node-name', 'no spaces'])).toThrow(/DNS subdomain/);
  });
});
