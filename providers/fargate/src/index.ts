export {
  awsClientConfig,
  createAwsClients,
  toProviderError,
  type AwsClientOverrides,
  type AwsClients,
} from './aws.js';
export { EcsBackend, type EcsBackendOptions } from './backend.js';
export { fargateConfigSchema, type FargateConfig, type FargateConfigInput } from './config.js';
export { taskFamily, TAG } from './identity.js';
export { createFargateProvider, plugin, type CreateFargateProviderOptions } from './plugin.js';
export { FargateProvider, type FargateProviderOptions } from './provider.js';
export { observeTask, podStatusFromTask, type TaskState } from './status.js';
export {
  buildTaskDefinition,
  containerSize,
  TASK_ROLE_ANNOTATION,
  type TaskDefinitionSettings,
} from './task-definition.js';
export { FARGATE_TASK_SIZES, fargateTaskSize, MAX_TASK_SIZE, type TaskSize } from './task-size.js';
