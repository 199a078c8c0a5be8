#!/usr/bin/env node
// vkubelet-soak: the chaos soak (and the leader-election handover measurement) of issue 20.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';

import { CriSoakBackend } from './backend/cri/adapter.js';
import { runHandovers } from './handover.js';
import { runSoak, UnknownFaultError } from './soak.js';

const usage = `usage: vkubelet-soak [--provider mock|cri] [--duration 2m] [--rate 2] [--fault-gap 4s] [--bound 90s] [--agents 1]
                     [--faults kind,kind] [--agent-arg=--flag=value ...] [--seed N] [--out DIR]
       vkubelet-soak --handovers 20 [--lease 15s/10s/2s] [--pods 20] [--out DIR]
  The soak: a control plane, the agent(s) with the mock provider behind fault proxies, pod churn at
  --rate pods/s and faults every --fault-gap on average for --duration; then every pod must converge
  within --bound. Prints one summary line; exit code 1 on any invariant violation. --agents 2 runs two
  agents with leader election (holder kills and partitions join the faults). --provider cri runs the
  CRI provider on a private containerd (root; busybox pods) with agent kills (restarted after 1-10 s),
  API server restarts and containerd restarts unless --faults says otherwise.
  --handovers N: SIGKILLs the holder of two agents N times and prints the handover times.`;

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'mock' },
    duration: { type: 'string', default: '2m' },
    rate: { type: 'string', default: '2' },
    'fault-gap': { type: 'string', default: '4s' },
    bound: { type: 'string', default: '90s' },
    agents: { type: 'string', default: '1' },
    faults: { type: 'string' },
    'agent-arg': { type: 'string', multiple: true },
    seed: { type: 'string' },
    out: { type: 'string', default: 'soak-results' },
    handovers: { type: 'string' },
    lease: { type: 'string', default: '15s/10s/2s' },
    pods: { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`vkubelet-soak: ${message}\n${usage}\n`);
  process.exit(2);
}

function duration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) fail(`--${flag}: expected a duration such as 90s or 2m, got "${text}"`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) fail(`--${flag}: expected a positive number, got "${text}"`);
  return value;
}

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive('seed', values.seed);
const outDir = resolve(values.out, new Date().toISOString().replace(/[:.]/g, '-'));
const log = (line: string): void => {
  process.stderr.write(`[soak] ${line}\n`);
};

/** A run that could not finish (not a violation it found): one line and where its logs are. */
function runFailed(err: unknown): never {
  process.stderr.write(`vkubelet-soak: the run failed: ${errorMessage(err)} (logs in ${outDir})\n`);
  process.exit(1);
}

if (values.handovers !== undefined) {
  const handovers = positive('handovers', values.handovers);
  const timings = values.lease.split('/');
  if (timings.length !== 3)
    fail(`--lease: expected duration/renew-deadline/retry-period, got "${values.lease}"`);
  const report = await runHandovers({
    handovers,
    leaderElection: {
      leaseDurationMs: duration('lease', timings[0]!),
      renewDeadlineMs: duration('lease', timings[1]!),
      retryPeriodMs: duration('lease', timings[2]!),
    },
    pods: positive('pods', values.pods),
    seed,
    outDir,
    log,
  }).catch(runFailed);
  process.stdout.write(`${report.summary}\n`);
} else {
  const provider = values.provider;
  if (provider !== 'mock' && provider !== 'cri') fail(`--provider: expected mock or cri, got "${provider}"`);
  const agents = positive('agents', values.agents);
  if (!Number.isInteger(agents)) fail(`--agents: expected a whole number, got "${values.agents}"`);
  const report = await runSoak({
    durationMs: duration('duration', values.duration),
    podsPerSecond: positive('rate', values.rate),
    meanFaultGapMs: duration('fault-gap', values['fault-gap']),
    convergeBoundMs: duration('bound', values.bound),
    agents,
    faults: values.faults?.split(',').filter(Boolean),
    agentArgs: values['agent-arg'],
    ...(provider === 'cri' ? { backend: ({ nodeName }) => new CriSoakBackend({ nodeName }) } : {}),
    seed,
    outDir,
    log,
  }).catch((err: unknown) => {
    if (err instanceof UnknownFaultError) fail(`--faults: ${err.message}`);
    return runFailed(err);
  });
  process.stdout.write(`${report.summary}\n`);
  process.exitCode = report.passed ? 0 : 1;
}
