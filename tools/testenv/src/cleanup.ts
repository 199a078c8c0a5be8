// Last-resort teardown. Every component runs in its own process group; this registry remembers the
// groups and directories still alive so they are removed even when the test process ends without
// calling stop(): normal exit, an uncaught error (Node emits 'exit' after printing it), SIGINT/SIGTERM
// and SIGHUP. A SIGKILLed parent cannot run any of this; the per-instance watchdog covers that case.
import { rmSync } from 'node:fs';

const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let hooksInstalled = false;

const forwardedSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function killGroupNow(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

function cleanUpEverything(): void {
  for (const pgid of liveGroups) killGroupNow(pgid);
  liveGroups.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpEverything();
  // When another listener (a CLI, vitest) handles the signal it decides when to exit. When we are the
  // only one, restore the default disposition and re-raise so the exit status still says "killed by".
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanUpEverything);
  for (const signal of forwardedSignals) process.on(signal, onSignal);
}

export function trackGroup(pgid: number): void {
  installHooks();
  liveGroups.add(pgid);
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

export function trackDir(dir: string): void {
  installHooks();
  liveDirs.add(dir);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
}
