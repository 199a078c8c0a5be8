/** Runs one request to a backend; see `backendCaller`. */
export type BackendCaller = <T>(operation: string, request: () => Promise<T>) => Promise<T>;

export interface BackendCallerOptions {
  /** The backend, as traces and logs name it: `aws.ecs`, `containerd`, `azure.aci`, `nomad`. */
  system: string;
  /** Turns a client's error into an errdefs error (NotFound, InvalidInput, Transient, ...). */
  toError?: (error: unknown, operation: string) => unknown;
}

/**
 * The one door every request a provider makes to its backend goes through: `await call('RunTask',
 * () => ecs.send(...))`. It converts the client's errors with `toError`, and it is where the request
 * will get its trace span, so a provider that routes its SDK calls through it needs no change for
 * tracing.
 */
export function backendCaller(options: BackendCallerOptions): BackendCaller {
  const { toError } = options;
  return async <T>(operation: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw toError ? toError(error, operation) : error;
    }
  };
}
