export {
  KubeClient,
  type KubeClientOptions,
  type PatchOptions,
  type PatchType,
  type Query,
  type QueryValue,
  type RequestOptions,
} from './client.js';
export {
  isKubeAlreadyExists,
  isKubeConflict,
  isKubeForbidden,
  isKubeGone,
  isKubeNotFound,
  kubeErrorCode,
  KubeApiError,
} from './errors.js';
export type { WatchEvent } from './watch-stream.js';
export * from './kubeconfig/index.js';
