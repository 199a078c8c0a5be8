/** Requests to answer with an error instead of serving them. */
export interface FailRequests {
  /** Default 500. */
  status?: number;
  /** Default `rpc error: injected fault`. */
  message?: string;
  /** How many requests fail; default every matching one until `clear()`. */
  count?: number;
  /** Only requests whose path matches (a prefix or a pattern). */
  path?: string | RegExp;
  method?: string;
}

interface ActiveFailure {
  status: number;
  message: string;
  remaining: number;
  path: string | RegExp | undefined;
  method: string | undefined;
}

/** The HTTP-level faults: injected error answers and the leader's presence. */
export class RequestFaults {
  knownLeader = true;
  private failures: ActiveFailure[] = [];

  fail(options: FailRequests): void {
    this.failures.push({
      status: options.status ?? 500,
      message: options.message ?? 'rpc error: injected fault',
      remaining: options.count ?? Infinity,
      path: options.path,
      method: options.method?.toUpperCase(),
    });
  }

  /** The injected error for this request, if one applies (using one of its count). */
  take(method: string, path: string): { status: number; message: string } | undefined {
    for (const failure of this.failures) {
      if (failure.method && failure.method !== method) continue;
      if (typeof failure.path === 'string' && !path.startsWith(failure.path)) continue;
      if (failure.path instanceof RegExp && !failure.path.test(path)) continue;
      failure.remaining--;
      this.failures = this.failures.filter(candidate => candidate.remaining > 0);
      return { status: failure.status, message: failure.message };
    }
    return undefined;
  }

  clear(): void {
    this.failures = [];
    this.knownLeader = true;
  }
}
