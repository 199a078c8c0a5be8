import { describe, expect, it } from 'vitest';

import { summaryLine } from '../../src/soak.js';

const counts = {
  doubleCreated: 0,
  orphans: 0,
  unrequestedDeletes: 0,
  statusRegressions: 0,
  notConverged: 0,
  spuriousFailures: 0,
  twoWriters: 0,
};
const report = {
  passed: true,
  counts,
  violations: {
    doubleCreated: [],
    orphans: [],
    unrequestedDeletes: [],
    statusRegressions: [],
    notConverged: [],
    spuriousFailures: [],
    twoWriters: [],
  },
  faults: { 'apiserver-kill': 2, 'pod-lost': 1 },
  pods: { created: 240, updated: 100, deleted: 120 },
  agentRestarts: 3,
  agentExits: { 'signal SIGKILL': 3 },
  convergedAfterMs: 12_345,
  convergedAfterLastFaultMs: 40_120,
  durationMs: 121_000,
  loadAverage: [9.5, 8, 7],
};

describe('the summary line', () => {
  it('gives pods, faults by kind, each invariant and the verdict on one line', () => {
    const line = summaryLine(report, { agents: 1, convergeBoundMs: 90_000, seed: 7 });
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^soak PASS: 121s, seed 7, 1 agent, pods created=240 updated=100 deleted=120, /);
    expect(line).toContain('faults 3 (apiserver-kill=2 pod-lost=1), agent restarts 3 (signal:SIGKILL=3)');
    expect(line).toContain(
      'converged 12.3s after the faults stopped, 40.1s after the last fault healed (bound 90s)',
    );
    expect(line).toContain(
      'double-created=0 orphans=0 unrequested-deletes=0 status-regressions=0 not-converged=0 spurious-failures=0;',
    );
    expect(line).not.toContain('two-writers'); // one agent: no election
  });

  it('says FAIL, the counts and the two-writer check with leader election', () => {
    const line = summaryLine(
      { ...report, passed: false, counts: { ...counts, twoWriters: 2 }, convergedAfterMs: undefined },
      { agents: 2, convergeBoundMs: 90_000, seed: 7 },
    );
    expect(line).toMatch(/^soak FAIL: .* 2 agents \(leader election\)/);
    expect(line).toContain('not converged within 90s');
    expect(line).toContain('two-writers=2');
  });
});
