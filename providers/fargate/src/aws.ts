import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import type { Attributes } from '@opentelemetry/api';
import {
  errorMessage,
  backendCaller,
  InvalidInputError,
  NotFoundError,
  SpanAttribute,
  TransientError,
} from '@vkubelet/provider-kit';

import type { FargateConfig } from './config.js';

/** Client settings a caller may add to the config file's (tests: moto credentials, a fake handler). */
export type AwsClientOverrides = Pick<ECSClientConfig, 'credentials' | 'requestHandler' | 'region'> &
  Pick<CloudWatchLogsClientConfig, 'credentials' | 'requestHandler' | 'region'>;

export interface AwsClients {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
}

/**
 * ECS and CloudWatch Logs clients: the standard credential chain and region unless overridden,
 * adaptive retries (a client-side token bucket that slows down after throttling errors, on top of
 * exponential backoff), and the config's endpoint (moto) when set.
 */
export function awsClientConfig(
  config: FargateConfig,
  overrides: AwsClientOverrides = {},
): ECSClientConfig & CloudWatchLogsClientConfig {
  return {
    retryMode: 'adaptive',
    maxAttempts: config.maxAttempts,
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...overrides,
  };
}

export function createAwsClients(config: FargateConfig, overrides: AwsClientOverrides = {}): AwsClients {
  const clientConfig = awsClientConfig(config, overrides);
  return { ecs: new ECSClient(clientConfig), logs: new CloudWatchLogsClient(clientConfig) };
}

/** Error names AWS uses for requests the caller got wrong; retrying them cannot help. */
const INVALID_INPUT = new Set([
  'InvalidParameterException',
  'ClientException',
  'ValidationException',
  'UnsupportedFeatureException',
]);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'TaskNotFoundException']);

/**
 * An AWS SDK error as a provider-kit error, so core reacts correctly: bad requests are not retried,
 * everything else (throttling that outlasted the SDK's retries, 5xx, network) is retried later.
 */
export function toProviderError(err: unknown, what: string): Error {
  const name = err instanceof Error ? err.name : 'Error';
  const message = `${what}: ${errorMessage(err)}`;
  if (NOT_FOUND.has(name)) return new NotFoundError(message, { cause: err });
  if (INVALID_INPUT.has(name)) return new InvalidInputError(message, { cause: err });
  return new TransientError(message, { cause: err });
}

/**
 * What an AWS SDK answer or error tells a trace: the request ID (to quote to AWS support) and the
 * attempts the SDK's retries took, so a throttled call shows why it was slow.
 */
export function awsOutcomeAttributes(outcome: unknown): Attributes | undefined {
  const metadata = (outcome as { $metadata?: { requestId?: string; attempts?: number } } | undefined)
    ?.$metadata;
  if (!metadata) return undefined;
  const attributes: Attributes = {};
  if (metadata.requestId) attributes['aws.request_id'] = metadata.requestId;
  if (metadata.attempts !== undefined) attributes[SpanAttribute.BACKEND_ATTEMPTS] = metadata.attempts;
  return attributes;
}

const awsCaller = (system: string, service: string) =>
  backendCaller({
    system,
    toError: toProviderError,
    attributes: { [SpanAttribute.RPC_SYSTEM]: 'aws-api', [SpanAttribute.RPC_SERVICE]: service },
    outcomeAttributes: awsOutcomeAttributes,
  });

/** The door of every ECS request the provider makes. */
export const callEcs = awsCaller('aws.ecs', 'ECS');
/** The door of every CloudWatch Logs request the provider makes. */
export const callLogs = awsCaller('aws.logs', 'CloudWatchLogs');
