import type { ConformanceCheck } from './check.js';
import { lifecycleChecks } from './lifecycle.js';
import { logChecks } from './logs.js';
import { nodeChecks } from './node.js';
import { scaleChecks } from './scale.js';
import { statusChecks } from './status.js';
import { streamChecks } from './streams.js';

export type { ConformanceCheck } from './check.js';

/** Every check, in the order they run; the leak check comes last, after everything was deleted. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  ...lifecycleChecks,
  ...statusChecks,
  ...logChecks,
  ...streamChecks,
  ...nodeChecks,
  ...scaleChecks,
];
