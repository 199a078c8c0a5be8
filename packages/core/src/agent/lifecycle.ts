/**
 * Lifecycle of a VirtualKubelet:
 * INITIALIZED (created) → STARTING (run() called) → RUNNING (node Ready, pods syncing)
 * → STOPPING (shutdown() or a signal) → STOPPED. With leader election, STARTING → STANDBY (caches
 * warm, waiting for the leader lease) → STARTING once it holds the lease. FAILED as soon as a part
 * fails, the start-up timeout passes or the leader lease is lost; the other parts are then stopped
 * and run() rejects once they are closed.
 */
export type VirtualKubeletState =
  'INITIALIZED' | 'STARTING' | 'STANDBY' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

/** Thrown for a call that makes no sense in the current state (run twice, run after shutdown). */
export class IllegalStateError extends Error {
  override readonly name = 'IllegalStateError';
  constructor(operation: string, state: VirtualKubeletState) {
    super(`cannot ${operation} a VirtualKubelet in state ${state}`);
  }
}
