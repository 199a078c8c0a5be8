/**
 * `@vkubelet/provider-kit/conformance`: the provider conformance suite. `runConformance` registers it
 * with vitest (a peer dependency); `runConformanceChecks` runs it without a test framework.
 * @packageDocumentation
 */
export { CONFORMANCE_CHECKS, type ConformanceCheck } from './checks/index.js';
export { renderProviderMarkdown, writeConformanceReport } from './report.js';
export { renderConformanceTable, updateReadmeTable } from './render-table.js';
export { runConformance } from './run-conformance.js';
export { ALL_CAPABILITIES } from './types.js';
export { buildReport, executeCheck, notApplicableReason, runConformanceChecks } from './runner.js';
export { ConformanceSession, DEFAULT_TIMEOUTS, type PodShape } from './session.js';
export type {
  CapabilityName,
  CheckResult,
  CheckStatus,
  ConformanceCapabilities,
  ConformanceOptions,
  ConformanceReport,
  ConformanceTimeouts,
  ConformanceWorkloads,
} from './types.js';
