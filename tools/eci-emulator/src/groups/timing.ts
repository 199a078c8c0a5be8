/** How long a container group spends in each transient state; adjustable while the emulator runs. */
export interface EciTiming {
  /** Scheduling → Pending (an IP is assigned). */
  schedulingMs: number;
  /** Pending → Running (containers start). */
  pendingMs: number;
  /** Before an exited container is started again (restart policy Always/OnFailure). */
  restartBackoffMs: number;
  /** Restarting → Pending after RestartContainerGroup. */
  restartingMs: number;
  /** Updating → Pending after UpdateContainerGroup. */
  updatingMs: number;
  /** How long the WebSocketUri and HttpUrl of ExecContainerCommand stay usable. */
  execSessionMs: number;
  /** The longest a Sync ExecContainerCommand runs before its output so far is returned. */
  syncExecTimeoutMs: number;
}

export const DEFAULT_TIMING: EciTiming = {
  schedulingMs: 50,
  pendingMs: 50,
  restartBackoffMs: 100,
  restartingMs: 50,
  updatingMs: 50,
  execSessionMs: 30_000,
  syncExecTimeoutMs: 60_000,
};
