import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { renderPolling, runPollingBench } from '../../src/polling.js';

const outDir = mkdtempSync(join(tmpdir(), 'vkubelet-bench-polling-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

// Keeps the runtime variant working: the bench's polled provider loaded by the real agent command.
describe('polling via the provider runtime', () => {
  it('turns 150 pods Running through batched reads of at most 100 pods and reports the reads per round', async () => {
    const report = await runPollingBench({ pods: 150, rate: 'max', via: 'runtime', rounds: 2, outDir });
    expect(report.running).toBe(150);
    expect(report.gone).toBe(150);
    expect(report.createToRunning.count).toBe(150);
    // 150 pods: two describe requests a round (100 pods, then 50).
    expect(report.idle.readsPerRound).toBeCloseTo(2, 0);
    expect(report.idle.podsPerRead).toBeGreaterThanOrEqual(50);
    expect(report.idle.podsPerRead).toBeLessThanOrEqual(100);
    expect(report.idle.cpuPerRoundMs).toBeGreaterThan(0);
    expect(Object.keys(report.controlPlane)).toEqual(expect.arrayContaining(['kube-apiserver', 'etcd']));
    expect(renderPolling([report])).toContain('provider runtime (batched refresh)');
  });
});
