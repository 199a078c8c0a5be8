/** What `--expose-gc` puts on globalThis (V8's gc extension), with the options this file uses. */
type ExposedGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Collects the garbage that loading modules and starting the agent left behind, once, when the agent
 * is ready. V8 keeps a young generation grown by start-up and old-space pages it has not compacted
 * until its memory reducer notices a quiet process, minutes later; a last-resort collection compacts
 * the heap and returns those pages now, so the agent's resident size from its first idle second is
 * what it holds rather than what it passed through. Does nothing unless the process runs with
 * `--expose-gc` (AGENT_HEAP_FLAGS gives it; an operator who set the heap flags decides).
 */
export function releaseStartupMemory(scope: { gc?: unknown } = globalThis): boolean {
  if (typeof scope.gc !== 'function') return false;
  (scope.gc as ExposedGc)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
