import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runBenchmark } from '../../src/benchmark.js';
import { renderTable } from '../../src/table.js';

const outDir = mkdtempSync(join(tmpdir(), 'vkubelet-bench-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

// Keeps the instrument working: the real agent command (built core CLI), 50 pods, full pipeline.
describe('benchmark small run', () => {
  it('pushes 50 pods through a real control plane and vkubelet and reports every figure', async () => {
    const report = await runBenchmark({
      podCounts: [50],
      rates: ['max'],
      outDir,
      runningCapMs: 120_000,
      goneCapMs: 120_000,
      settleMs: 1_000,
    });
    const [scenario] = report.scenarios;
    expect(scenario).toBeDefined();
    expect(scenario!.running).toBe(50);
    expect(scenario!.pendingAtCap).toBe(0);
    expect(scenario!.lost).toBe(0);
    expect(scenario!.gone).toBe(50);
    expect(scenario!.notGoneAtCap).toBe(0);
    expect(scenario!.leftovers).toBe(0);
    expect(scenario!.createToRunningVisible.count).toBe(50);
    expect(scenario!.createToProviderCall?.count).toBe(50);
    expect(scenario!.providerRunningToVisible?.count).toBe(50);
    expect(scenario!.deleteToGone.count).toBe(50);
    expect(scenario!.createToRunningVisible.p50).toBeGreaterThan(0);
    expect(report.agentUsage.peakRssMB).toBeGreaterThan(10);
    expect(report.agentUsage.cpuSeconds).toBeGreaterThan(0);
    expect(scenario!.agent.idleRssMB).toBeGreaterThan(10);
    expect(scenario!.agent.peakRssMB).toBeGreaterThanOrEqual(scenario!.agent.idleRssMB!);
    // Every pod needs at least its force delete; the requests are split by phase and by verb.
    expect(scenario!.apiRequests.perPod).toBeGreaterThan(1);
    expect(scenario!.apiRequests.deletePhase['delete pods']).toBe(50);
    expect(report.agent.identity).toBe('node');
    expect(report.settings.notes).toEqual([]);
    // The control plane's figures are its own: etcd and the API server, never the agent.
    expect(Object.keys(report.controlPlaneUsage)).toEqual(expect.arrayContaining(['kube-apiserver', 'etcd']));
    expect(Object.keys(report.controlPlaneUsage)).not.toContain('node');
    expect(Object.keys(scenario!.controlPlane)).toEqual(expect.arrayContaining(['kube-apiserver', 'etcd']));
    expect(renderTable(report)).toContain('50 pods @ max');
  });
});
