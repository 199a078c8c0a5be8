import { apiErrors, EciApiError, type ThrottlingCode } from './rpc/errors.js';

interface RequestFault {
  /** Actions it applies to; every action when absent. */
  actions?: readonly string[];
  /** How many more requests it fails (Infinity until cleared). */
  remaining: number;
  error: () => EciApiError;
}

export interface ThrottleOptions {
  /** How many requests to refuse; default every one until `clear()`. */
  times?: number;
  actions?: readonly string[];
  code?: ThrottlingCode;
}

export interface FailOptions {
  code: string;
  status: number;
  message?: string;
  times?: number;
  actions?: readonly string[];
}

/**
 * Faults a test switches on while the emulator runs: throttling and other error answers, scheduling
 * failures, groups deleted behind the client's back, an expired STS token, a skewed clock.
 */
export class EciFaults {
  private readonly requestFaults: RequestFault[] = [];
  private scheduleFailures: { remaining: number; message: string } | undefined;

  constructor(
    private readonly hooks: {
      deleteGroup(id: string): boolean;
      expireSecurityToken(): void;
      setClockOffset(ms: number): void;
    },
  ) {}

  /** Refuse requests with `Throttling` / `Throttling.User` (HTTP 400), as the gateway's flow control does. */
  throttle({
    times = Number.POSITIVE_INFINITY,
    actions,
    code = 'Throttling.User',
  }: ThrottleOptions = {}): void {
    this.requestFaults.push({
      remaining: times,
      ...(actions ? { actions } : {}),
      error: () => apiErrors.throttling(code),
    });
  }

  /** Answer requests with any error, e.g. `{code: 'ServiceUnavailable', status: 503}`. */
  fail({ code, status, message = `Injected ${code}.`, times = 1, actions }: FailOptions): void {
    this.requestFaults.push({
      remaining: times,
      ...(actions ? { actions } : {}),
      error: () => new EciApiError(status, code, message),
    });
  }

  /** The next `times` groups created end ScheduleFailed instead of starting. */
  failScheduling({
    times = 1,
    message = 'The resource is out of stock in the specified zone. Please try other types, or choose other regions and zones.',
  }: { times?: number; message?: string } = {}): void {
    this.scheduleFailures = { remaining: times, message };
  }

  /** Deletes a group without any API call (a console user, a reclaimed spot instance). */
  deleteOutOfBand(containerGroupId: string): boolean {
    return this.hooks.deleteGroup(containerGroupId);
  }

  /** The STS token expires now: requests with it get InvalidSecurityToken.Expired. */
  expireSecurityToken(): void {
    this.hooks.expireSecurityToken();
  }

  /**
   * The gateway's clock runs `ms` ahead of the clients' (negative: behind), as with a client whose
   * clock drifted: beyond the allowed skew every request is InvalidTimeStamp.Expired.
   */
  skewClock(ms: number): void {
    this.hooks.setClockOffset(ms);
  }

  /** Every request and scheduling fault off, the clock back in step. */
  clear(): void {
    this.requestFaults.length = 0;
    this.scheduleFailures = undefined;
    this.hooks.setClockOffset(0);
  }

  /** @internal The error this request gets, if a fault applies to it. */
  takeRequestFault(action: string): EciApiError | undefined {
    for (const fault of this.requestFaults) {
      if (fault.remaining <= 0 || (fault.actions && !fault.actions.includes(action))) continue;
      fault.remaining--;
      return fault.error();
    }
    return undefined;
  }

  /** @internal The failure message for a group being created, if scheduling is to fail. */
  takeScheduleFailure(): string | undefined {
    if (!this.scheduleFailures || this.scheduleFailures.remaining <= 0) return undefined;
    this.scheduleFailures.remaining--;
    return this.scheduleFailures.message;
  }
}
