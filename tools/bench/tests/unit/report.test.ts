import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { kwokAgent, upstreamAgent, vkubeletAgent } from '../../src/agents.js';
import { countRequests, requestsPerPod } from '../../src/audit.js';
import { settingNotes, type BenchmarkReport, type ScenarioReport } from '../../src/benchmark.js';
import { summarize } from '../../src/percentiles.js';
import { renderComparison } from '../../src/table.js';

const dir = mkdtempSync(join(tmpdir(), 'vkubelet-bench-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (user: string, verb: string, at: string, resource = 'pods', subresource?: string) =>
  JSON.stringify({
    stage: verb === 'watch' ? 'ResponseStarted' : 'ResponseComplete',
    user: { username: user },
    verb,
    requestReceivedTimestamp: at,
    objectRef: { resource, ...(subresource ? { subresource } : {}) },
  });

describe('countRequests', () => {
  it("counts one user's requests by verb and resource, in all and per time window", async () => {
    const path = join(dir, 'audit.log');
    const me = 'system:node:n';
    writeFileSync(
      path,
      [
        line(me, 'patch', '2026-01-01T00:00:01.000000Z', 'pods', 'status'),
        line(me, 'patch', '2026-01-01T00:00:02.500000Z', 'pods', 'status'),
        line(me, 'delete', '2026-01-01T00:00:03.000000Z'),
        line('someone-else', 'delete', '2026-01-01T00:00:03.000000Z'),
        line(me, 'watch', '2026-01-01T00:00:00.500000Z'),
      ].join('\n'),
    );
    const at = (s: number) => Date.parse('2026-01-01T00:00:00Z') + s * 1000;
    const counted = await countRequests(path, me, {
      create: { from: at(0), to: at(2) },
      delete: { from: at(2), to: at(4) },
    });
    expect(counted.total).toEqual({ 'patch pods/status': 2, 'delete pods': 1, 'watch pods': 1 });
    expect(counted.windows.create).toEqual({ 'patch pods/status': 1, 'watch pods': 1 });
    expect(counted.windows.delete).toEqual({ 'patch pods/status': 1, 'delete pods': 1 });
  });

  it('divides each phase by the pods it finished', () => {
    expect(requestsPerPod({ a: 30 }, { b: 10 }, 10, 5)).toBe(5);
  });
});

describe('settingNotes', () => {
  it('says which mock options an agent without the bench mock ignores', () => {
    expect(settingNotes(vkubeletAgent(), 50, false)).toEqual([]);
    const notes = settingNotes(upstreamAgent(), 50, false);
    expect(notes.join('\n')).toMatch(/--mock-latency-ms 50 does nothing for upstream/);
    expect(notes.join('\n')).toMatch(/--no-notifier does nothing for upstream/);
    expect(kwokAgent().identity).toBe('node-rbac');
  });
});

function report(label: string, runningPerSecond: number, perPod: number): BenchmarkReport {
  const latency = summarize([100, 200, 300]);
  const scenario = {
    scenario: 's0',
    pods: 1000,
    rate: 'max',
    createToRunningVisible: latency,
    deleteToGone: latency,
    runningThroughput: runningPerSecond,
    deleteThroughput: runningPerSecond,
    pendingAtCap: 0,
    lost: 0,
    notGoneAtCap: 0,
    agent: { peakRssMB: 100, cpuSeconds: 1 },
    controlPlane: { 'kube-apiserver': { peakRssMB: 300, cpuSeconds: 2 } },
    apiRequests: { createPhase: {}, deletePhase: {}, perPod },
  } as unknown as ScenarioReport;
  return {
    agent: { label, description: label, identity: 'node', identityDescription: 'node', benchMock: true },
    machine: { cpus: 2, cpuModel: 'cpu', memoryGB: 1, kernel: 'k', node: 'v24', loadAverage: [0.1] },
    settings: { isolation: 'fresh', notes: [], mockLatencyMs: 0, notifier: true },
    scenarios: [scenario],
    loadAverage: { start: [0.1], end: [0.2] },
  } as unknown as BenchmarkReport;
}

describe('renderComparison', () => {
  it('prints each agent and the ratio of vkubelet to each other one', () => {
    const text = renderComparison([report('vkubelet', 200, 2), report('kwok', 100, 4)]);
    expect(text).toContain('| scenario | measure | vkubelet | kwok | vkubelet / kwok |');
    expect(text).toMatch(/Running\/s \(higher is better\) \| 200 \| 100 \| 2\.00× \|/);
    expect(text).toMatch(/API requests per pod \(lower is better\) \| 2\.00 \| 4\.00 \| 0\.50× \|/);
  });
});
