export { KubeletServer, type StartedKubeletServer } from './server.js';
export type {
  KubeletAuthOptions,
  KubeletServerOptions,
  KubeletTlsOptions,
  ListenAddress,
} from './options.js';
export type {
  PortForwardRun,
  RemoteCommandRequest,
  RemoteCommandRun,
  StreamingOptions,
  StreamingProtocols,
} from './streaming-contract.js';
export type { AuthApis, RequestAttributes, UserInfo } from './auth/types.js';
export { requestAttributes } from './auth/attributes.js';
export { renderResourceMetrics } from './resource-metrics.js';
export { createSelfSignedCredentials } from './tls/self-signed.js';
export { KUBELET_SERVING_SIGNER } from './tls/csr-source.js';
