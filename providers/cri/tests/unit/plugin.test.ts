import { cpus, totalmem } from 'node:os';

import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { describe, expect, it } from 'vitest';

import { plugin } from '../../src/index.js';
import { nodeResources } from '../../src/node.js';

describe('plugin', () => {
  it('is named cri and refuses a missing config file in one line', async () => {
    expect(plugin.name).toBe('cri');
    const error = await plugin
      .create(fakeProviderContext({ configPath: '/nonexistent/cri.json' }))
      .catch((err: unknown) => err);
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toMatch(
      /^--provider-config \/nonexistent\/cri\.json: cannot read it: ENOENT/,
    );
  });
});

describe('node resources', () => {
  it('publishes host capacity and subtracts reservations from allocatable', () => {
    const { capacity, allocatable } = nodeResources(
      plugin.parseConfig({ reserved: { cpu: '500m', memory: '1Gi' }, maxPods: 42 }),
    );
    expect(capacity).toEqual({
      cpu: String(cpus().length),
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: '42',
    });
    expect(allocatable.cpu).toBe(`${cpus().length * 1000 - 500}m`);
    expect(allocatable.memory).toBe(`${Math.floor((totalmem() - 2 ** 30) / 1024)}Ki`);
  });
});
