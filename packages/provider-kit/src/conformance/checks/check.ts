import type { ConformanceSession } from '../session.js';
import type { CapabilityName } from '../types.js';

/** One conformance check: it throws (an assertion error, a timeout) when the provider fails it. */
export interface ConformanceCheck {
  id: string;
  title: string;
  category: string;
  /** Capabilities that must be declared for the check to apply. */
  requires: CapabilityName[];
  /** Applies only when the suite has a way to list backend resources. */
  needsBackendResources?: boolean;
  run(session: ConformanceSession): Promise<void>;
}
