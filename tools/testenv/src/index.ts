// Building blocks the local stack (tools/stack) reuses: managed process groups, readiness polling.
export { startProcess, tailFile, type ManagedProcess } from './process.js';
export { probe, waitUntilReady } from './health.js';
export { startWatchdog, type Watchdog } from './watchdog.js';
export {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
  type KubectlOptions,
  type KubectlResult,
  type RestartOptions,
} from './control-plane.js';
export {
  binaryDir,
  binaryPath,
  cacheRoot,
  pinnedKubernetesVersion,
  MissingBinaryError,
  type ComponentName,
} from './binaries.js';
export { ComponentStartError } from './health.js';
export { createCertificateAuthority, type CertificateAuthority, type PemPair } from './pki.js';
export { freePort } from './ports.js';
export { startLocalControlPlane, defaultLocalKubeconfigPath, type LocalControlPlane } from './local.js';
