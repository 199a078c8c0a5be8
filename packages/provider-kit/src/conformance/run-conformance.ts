import { afterAll, beforeAll, describe, it } from 'vitest';

import { CONFORMANCE_CHECKS } from './checks/index.js';
import { writeConformanceReport } from './report.js';
import { buildReport, executeCheck, notApplicableReason } from './runner.js';
import { ConformanceSession, DEFAULT_TIMEOUTS } from './session.js';
import type { CheckResult, ConformanceOptions } from './types.js';

/**
 * Registers the conformance suite as vitest tests: one `it` per check, run in order against one
 * provider instance. A check whose capability is not declared is registered as skipped with the
 * reason in its name, and reported "not-applicable", never as passed. After the last check the
 * report is written to `options.report.dir`.
 *
 * @example
 * ```ts
 * runConformance({ name: 'mock', createProvider: async () => new MockProvider(), capabilities: { exec: true } });
 * ```
 */
export function runConformance(options: ConformanceOptions): void {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const results = new Map<string, CheckResult>();
  let session: ConformanceSession | undefined;

  describe(`provider conformance: ${options.name}`, () => {
    beforeAll(async () => {
      session = await ConformanceSession.start(options);
    }, timeouts.checkMs);

    afterAll(async () => {
      await session?.close();
      if (!options.report) return;
      const ordered = CONFORMANCE_CHECKS.map(check => results.get(check.id)).filter(r => r !== undefined);
      await writeConformanceReport(buildReport(options, ordered), options.report.dir);
    }, timeouts.checkMs);

    for (const check of CONFORMANCE_CHECKS) {
      const reason = notApplicableReason(check, options);
      if (reason) {
        results.set(check.id, {
          id: check.id,
          title: check.title,
          category: check.category,
          status: 'not-applicable',
          durationMs: 0,
          detail: reason,
        });
        // Not applicable, never passed: the provider does not declare this capability (reason in the title).
        it.skip(`${check.id}: ${check.title} (not applicable: ${reason})`, () => {});
        continue;
      }
      it(
        `${check.id}: ${check.title}`,
        async () => {
          if (!session) throw new Error('the provider could not be created');
          const result = await executeCheck(check, session);
          results.set(check.id, result);
          if (result.status === 'failed') throw new Error(result.detail);
        },
        timeouts.checkMs + 5_000,
      );
    }
  });
}
