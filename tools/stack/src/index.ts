export { defaultRouteInterface, hostAddress, unproxyableReason } from './address.js';
export { parseUpArgs, USAGE, UsageError, type UpArgs } from './cli-args.js';
export {
  metricsServerBinary,
  metricsServerManifests,
  pinnedMetricsServerVersion,
  MissingMetricsServerError,
} from './metrics-server.js';
export { createProgress, type Progress } from './progress.js';
export {
  findProvider,
  PENDING_PROVIDERS,
  PROVIDERS,
  type Backend,
  type BackendContext,
  type ProviderEntry,
} from './providers/index.js';
export { startEmulatorCli, firstJsonLine, type RunningEmulator } from './providers/emulator-cli.js';
export { startStack, ProviderUnavailableError, type Stack, type StackOptions } from './stack.js';
export {
  diagnoseKubeconfig,
  listStacks,
  stackDir,
  stackKubeconfigPath,
  stacksRoot,
  STACK_NAME,
  type KubeconfigDiagnosis,
  type StackRecord,
} from './state.js';
export { tryItText } from './try-it.js';
