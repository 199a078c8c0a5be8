/**
 * Lifecycle of a VirtualKubelet:
 * INITIALIZED (created) → STARTING (run() called) → RUNNING (node Ready, pods syncing)
 * → STOPPING (shutdown() or a signal) → STOPPED. FAILED as soon as a part fails or the start-up
 * timeout passes; the other parts are then stopped and run() rejects once they are closed.
 */
export type VirtualKubeletState = 'INITIALIZED' | 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

/** Thrown for a call that makes no sense in the current state (run twice, run after shutdown). */
export class IllegalStateError extends Error {
  override readonly name = 'IllegalStateError';
  constructor(operation: string, state: VirtualKubeletState) {
    super(`cannot ${operation} a VirtualKubelet in state ${state}`);
  }
}
