import { describe, expect, it } from 'vitest';

import { expandCommand } from '../../src/agent-process.js';
import { summarize } from '../../src/percentiles.js';

describe('summarize', () => {
  it('gives nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1).reverse();
    expect(summarize(values)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('handles one value and none', () => {
    expect(summarize([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7 });
    expect(summarize([]).count).toBe(0);
    expect(summarize([]).p99).toBeNaN();
  });
});

describe('expandCommand', () => {
  it('fills placeholders and keeps unknown ones', () => {
    expect(
      expandCommand('vk --kubeconfig={kubeconfig} --nodename {node} --x={unknown}', {
        kubeconfig: '/k',
        node: 'n1',
        ca: '/ca',
        providerConfig: '/p',
        metricsPort: '1',
        tlsCert: '/c',
        tlsKey: '/k',
      }),
    ).toEqual(['vk', '--kubeconfig=/k', '--nodename', 'n1', '--x={unknown}']);
  });
});
