import { setTimeout as sleep } from 'node:timers/promises';

import { CONFORMANCE_CHECKS, type ConformanceCheck } from './checks/index.js';
import { ConformanceSession } from './session.js';
import type { CheckResult, CheckStatus, ConformanceOptions, ConformanceReport } from './types.js';
import { errorMessage } from '../errdefs/error-message.js';

/** Why a check does not apply to these options, or undefined when it does. */
export function notApplicableReason(
  check: ConformanceCheck,
  options: ConformanceOptions,
): string | undefined {
  const declared = options.notApplicable?.[check.id];
  if (declared !== undefined) return declared;
  const missing = check.requires.filter(capability => options.capabilities[capability] !== true);
  if (missing.length > 0) {
    const why = missing.map(capability => options.notApplicable?.[capability]).filter(Boolean);
    return `needs capability ${missing.join(', ')}${why.length > 0 ? `: ${why.join('; ')}` : ''}`;
  }
  if (check.needsBackendResources && !options.listBackendResources) return 'needs listBackendResources';
  return undefined;
}

function notApplicable(check: ConformanceCheck, reason: string): CheckResult {
  return {
    id: check.id,
    title: check.title,
    category: check.category,
    status: 'not-applicable',
    durationMs: 0,
    detail: reason,
  };
}

/** Runs one check against a session, bounded by the check timeout; never throws. */
export async function executeCheck(
  check: ConformanceCheck,
  session: ConformanceSession,
): Promise<CheckResult> {
  const reason = notApplicableReason(check, session.options);
  if (reason) return notApplicable(check, reason);
  const started = performance.now();
  const base = { id: check.id, title: check.title, category: check.category };
  try {
    const timeout = sleep(session.timeouts.checkMs, 'timeout' as const, { ref: false });
    const outcome = await Promise.race([check.run(session).then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') throw new Error(`check did not finish within ${session.timeouts.checkMs} ms`);
    return { ...base, status: 'passed', durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const detail = errorMessage(err);
    return { ...base, status: 'failed', durationMs: Math.round(performance.now() - started), detail };
  } finally {
    await session.cleanup().catch(() => undefined);
  }
}

export function buildReport(options: ConformanceOptions, results: readonly CheckResult[]): ConformanceReport {
  const summary: Record<CheckStatus, number> = { passed: 0, failed: 0, 'not-applicable': 0 };
  for (const result of results) summary[result.status]++;
  return {
    provider: options.name,
    generatedAt: new Date().toISOString(),
    capabilities: options.capabilities,
    summary,
    results: [...results],
  };
}

/**
 * Runs checks without a test framework (scripts, or tests asserting that a broken provider fails).
 * `only` limits the run to those check ids.
 */
export async function runConformanceChecks(
  options: ConformanceOptions,
  only?: readonly string[],
): Promise<ConformanceReport> {
  const checks = only ? CONFORMANCE_CHECKS.filter(check => only.includes(check.id)) : CONFORMANCE_CHECKS;
  const session = await ConformanceSession.start(options);
  const results: CheckResult[] = [];
  try {
    for (const check of checks) results.push(await executeCheck(check, session));
  } finally {
    await session.close();
  }
  return buildReport(options, results);
}
