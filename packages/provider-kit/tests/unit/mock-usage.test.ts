import { afterEach, describe, expect, it } from 'vitest';

import { isInvalidInput } from '../../src/index.js';
import {
  CPU_USAGE_ANNOTATION,
  MEMORY_USAGE_ANNOTATION,
  MockBackend,
  MockProvider,
} from '../../src/mock/index.js';
import { call, makePod, sh, waitForStatus } from './helpers.js';

const backends: MockBackend[] = [];
function mock(): MockProvider {
  const backend = new MockBackend();
  backends.push(backend);
  return new MockProvider({ startupDelayMs: 1, backend });
}
afterEach(() => backends.splice(0).forEach(b => b.close()));

async function statsOf(provider: MockProvider, pod: ReturnType<typeof makePod>) {
  await waitForStatus(provider, pod, s => s.phase === 'Running');
  const summary = await provider.getStatsSummary(call());
  return summary.pods.find(p => p.podRef.name === pod.metadata?.name)!;
}

describe('mock usage annotations', () => {
  it('report the annotated CPU and memory, per pod or per container, and sum them on the node', async () => {
    const provider = mock();
    const pod = makePod('busy', [sh('app', 'sleep 60'), sh('side', 'sleep 60'), sh('quiet', 'sleep 60')], {
      annotations: {
        [CPU_USAGE_ANNOTATION]: '750m',
        [`${CPU_USAGE_ANNOTATION}.side`]: '1.5',
        [MEMORY_USAGE_ANNOTATION]: '300Mi',
      },
    });
    await provider.createPod(pod, call());
    const stats = await statsOf(provider, pod);
    const byName = Object.fromEntries(stats.containers.map(c => [c.name, c]));
    expect(byName['app']?.cpu?.usageNanoCores).toBe(750_000_000);
    expect(byName['side']?.cpu?.usageNanoCores).toBe(1_500_000_000);
    expect(byName['quiet']?.cpu?.usageNanoCores).toBe(750_000_000);
    expect(byName['app']?.memory?.workingSetBytes).toBe(300 * 1024 * 1024);
    expect(stats.cpu?.usageNanoCores).toBe(3_000_000_000);
    const summary = await provider.getStatsSummary(call());
    expect(summary.node.cpu?.usageNanoCores).toBe(3_000_000_000);
  });

  it('leave the derived figures (1-50 millicores) where no annotation applies', async () => {
    const provider = mock();
    const pod = makePod('plain', [sh('app', 'sleep 60')]);
    await provider.createPod(pod, call());
    const cpu = (await statsOf(provider, pod)).containers[0]?.cpu?.usageNanoCores ?? 0;
    expect(cpu).toBeGreaterThanOrEqual(1_000_000);
    expect(cpu).toBeLessThanOrEqual(50_000_000);
  });

  it('refuse a malformed quantity as InvalidInput naming the annotation', async () => {
    const provider = mock();
    const pod = makePod('odd', [sh('app', 'sleep 60')], {
      annotations: { [`${CPU_USAGE_ANNOTATION}.app`]: 'lots' },
    });
    const refused = provider.createPod(pod, call());
    await expect(refused).rejects.toSatisfy(isInvalidInput);
    await expect(refused).rejects.toThrow(`${CPU_USAGE_ANNOTATION}.app: "lots"`);
  });
});
