/** A kubeconfig (or in-cluster configuration) that cannot be used; the message names file and field. */
export class KubeconfigError extends Error {
  /** Always `KubeconfigError`. */
  override readonly name = 'KubeconfigError';
}
