/**
 * Event reasons of env resolution, spelled exactly as upstream virtual-kubelet (and the kubelet) so
 * that alerts and `kubectl get events --field-selector reason=...` keep working.
 */
export const EnvEventReason = {
  OptionalConfigMapNotFound: 'OptionalConfigMapNotFound',
  OptionalConfigMapKeyNotFound: 'OptionalConfigMapKeyNotFound',
  FailedToReadOptionalConfigMap: 'FailedToReadOptionalConfigMap',
  OptionalSecretNotFound: 'OptionalSecretNotFound',
  OptionalSecretKeyNotFound: 'OptionalSecretKeyNotFound',
  FailedToReadOptionalSecret: 'FailedToReadOptionalSecret',
  MandatoryConfigMapNotFound: 'MandatoryConfigMapNotFound',
  MandatoryConfigMapKeyNotFound: 'MandatoryConfigMapKeyNotFound',
  FailedToReadMandatoryConfigMap: 'FailedToReadMandatoryConfigMap',
  MandatorySecretNotFound: 'MandatorySecretNotFound',
  MandatorySecretKeyNotFound: 'MandatorySecretKeyNotFound',
  FailedToReadMandatorySecret: 'FailedToReadMandatorySecret',
  InvalidEnvironmentVariableNames: 'InvalidEnvironmentVariableNames',
  /** Ours: a downward-API field (status.podIP, ...) the provider has not reported yet. */
  DownwardAPIFieldNotReady: 'DownwardAPIFieldNotReady',
  /** Ours: a fieldRef/resourceFieldRef that can never be resolved. */
  InvalidDownwardAPIField: 'InvalidDownwardAPIField',
} as const;
export type EnvEventReason = (typeof EnvEventReason)[keyof typeof EnvEventReason];
