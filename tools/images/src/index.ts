export { Buildah, type ImageFacts } from './buildah.js';
export { CommandError, exec, type ExecOptions } from './exec.js';
export {
  buildProviderImage,
  DEFAULT_BUDGET_BYTES,
  describeReport,
  formatMB,
  ImageBudgetError,
  MB,
  providerName,
  stageProvider,
  type BuildImageOptions,
  type ImageReport,
} from './image.js';
export { parseLdd } from './ldd.js';
export { ensureNodeBase, NODE_BASE_REPOSITORY, type NodeBase } from './node-base.js';
export { DEFAULT_OUT_DIR, REPO_ROOT } from './paths.js';
export { startRegistry, type Registry } from './registry.js';
export { isPrunable, runtimeWorkspaces, stageApp, workspaceDirs } from './stage.js';
