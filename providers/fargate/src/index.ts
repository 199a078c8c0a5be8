export {
  awsClientConfig,
  createAwsClients,
  toProviderError,
  type AwsClientOverrides,
  type AwsClients,
} from './aws.js';
export {
  fargateConfigSchema,
  loadFargateConfig,
  parseFargateConfig,
  type FargateConfig,
  type FargateConfigInput,
} from './config.js';
export { taskFamily, TAG } from './identity.js';
export { createFargateProvider, plugin, type CreateFargateProviderOptions } from './plugin.js';
export { FargateProvider, type FargateProviderOptions } from './provider.js';
export { podStatusFromTask } from './status.js';
export {
  buildTaskDefinition,
  containerSize,
  TASK_ROLE_ANNOTATION,
  type TaskDefinitionSettings,
} from './task-definition.js';
export { FARGATE_TASK_SIZES, fargateTaskSize, MAX_TASK_SIZE, type TaskSize } from './task-size.js';
