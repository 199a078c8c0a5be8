// A tiny shell process per control plane that outlives a SIGKILLed test process: it polls the parent
// PID and, once it is gone, kills every process group listed in the pids file and removes the
// directories. stop() kills the watchdog first, so in the normal case it never acts.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { killGroupNow, trackGroup, untrackGroup } from './cleanup.js';

const script = `
parent=$1; pids=$2; shift 2  # POSIX sh (dash): no "--" before a negative PID
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
for g in $(cat "$pids" 2>/dev/null); do kill -KILL "-$g" 2>/dev/null; done
rm -rf "$@"
`;

export interface Watchdog {
  /** Rewrites the list of process groups to kill if the parent dies. */
  setGroups(pgids: readonly number[]): void;
  dispose(): void;
}

export function startWatchdog(pidsFile: string, dirsToRemove: readonly string[]): Watchdog {
  writeFileSync(pidsFile, '');
  const child = spawn(
    '/bin/sh',
    ['-c', script, 'vkubelet-testenv-watchdog', String(process.pid), pidsFile, ...dirsToRemove],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  child.unref();
  const pgid = child.pid;
  // On an orderly exit the cleanup hooks already did the watchdog's job, so they end it too.
  if (pgid !== undefined) trackGroup(pgid);
  return {
    setGroups: pgids => writeFileSync(pidsFile, `${pgids.join('\n')}\n`),
    dispose: () => {
      if (pgid === undefined) return;
      killGroupNow(pgid);
      untrackGroup(pgid);
    },
  };
}
