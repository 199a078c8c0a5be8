/**
 * Why a pod's environment could not be resolved:
 * - `missing`: a mandatory ConfigMap/Secret (or key) is absent, or any referenced one (optional
 *   too) could not be read; retry with backoff.
 * - `not-ready`: a downward-API value the provider has not reported yet (status.podIP, ...); retry.
 * - `invalid`: the pod asks for something that can never resolve; retrying will not help.
 */
export type EnvResolutionFailure = 'missing' | 'not-ready' | 'invalid';

export class EnvResolutionError extends Error {
  constructor(
    readonly failure: EnvResolutionFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EnvResolutionError';
  }
}
