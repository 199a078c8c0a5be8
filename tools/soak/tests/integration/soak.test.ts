// The soak of issue 20 as part of the test command: two minutes of chaos with one agent, and a
// shorter one with two agents under leader election whose holder is killed and cut off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runSoak } from '../../src/soak.js';

const outDir = mkdtempSync(join(tmpdir(), 'vkubelet-soak-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const NO_VIOLATIONS = {
  doubleCreated: [],
  orphans: [],
  unrequestedDeletes: [],
  statusRegressions: [],
  notConverged: [],
  spuriousFailures: [],
  twoWriters: [],
};

const log = (line: string): void => {
  if (process.env.VK_SOAK_LOG) process.stderr.write(`[soak] ${line}\n`);
};

describe('chaos soak', () => {
  it('two minutes of pod churn under compound faults: no pod lost, duplicated or orphaned', async () => {
    const report = await runSoak({
      durationMs: 120_000,
      podsPerSecond: 2,
      meanFaultGapMs: 4_000,
      convergeBoundMs: 90_000,
      agents: 1,
      seed: 20,
      mustInclude: ['apiserver-kill', 'etcd-pause', 'crash-after-create', 'crash-after-delete', 'pod-lost'],
      outDir: join(outDir, 'one-agent'),
      log,
    });
    process.stdout.write(`${report.summary}\n`);
    expect(report.violations).toEqual(NO_VIOLATIONS);
    expect(report.pods.created).toBeGreaterThan(150);
    expect(report.faults['crash-after-create']).toBeGreaterThanOrEqual(1);
  });

  it('leader election: the holder killed and partitioned, never two writers, nothing lost', async () => {
    const report = await runSoak({
      durationMs: 90_000,
      podsPerSecond: 2,
      meanFaultGapMs: 6_000,
      convergeBoundMs: 90_000,
      agents: 2,
      seed: 21,
      mustInclude: ['holder-kill', 'holder-partition', 'holder-kill'],
      outDir: join(outDir, 'two-agents'),
      log,
    });
    process.stdout.write(`${report.summary}\n`);
    expect(report.violations).toEqual(NO_VIOLATIONS);
    expect(report.faults['holder-kill']).toBeGreaterThanOrEqual(2);
    expect(report.faults['holder-partition']).toBeGreaterThanOrEqual(1);
  });
});
