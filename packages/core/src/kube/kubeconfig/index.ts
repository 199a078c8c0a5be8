export type { ClusterAccess, RequestCredentials, TlsMaterial } from './types.js';
export { KubeconfigError } from './errors.js';
export { accessFromKubeconfigText, loadKubeconfig, type LoadKubeconfigOptions } from './load.js';
export { inClusterAccess, isInCluster, SERVICE_ACCOUNT_DIR, type InClusterOptions } from './in-cluster.js';
export { clusterAccess, type ClusterAccessValues } from './from-values.js';
