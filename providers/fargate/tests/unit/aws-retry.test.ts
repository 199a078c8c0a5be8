import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { isTransient } from '@vkubelet/provider-kit';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';

import { awsClientConfig, toProviderError, type AwsClientOverrides } from '../../src/aws.js';
import { plugin } from '../../src/plugin.js';

/** A request handler that answers with ECS throttling errors `throttled` times, then succeeds. */
function throttlingHandler(throttled: number) {
  const seen: string[] = [];
  const handler: NonNullable<AwsClientOverrides['requestHandler']> = {
    handle: (request: { headers: Record<string, string> }) => {
      seen.push(request.headers['x-amz-target'] ?? '');
      const fail = seen.length <= throttled;
      const body = fail
        ? { __type: 'ThrottlingException', message: 'Rate exceeded' }
        : { clusterArns: ['arn:aws:ecs:eu-west-1:123456789012:cluster/default'] };
      return Promise.resolve({
        response: {
          statusCode: fail ? 400 : 200,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            ...(fail ? { 'x-amzn-errortype': 'ThrottlingException' } : {}),
          },
          body: Readable.from([Buffer.from(JSON.stringify(body))]),
        },
      });
    },
  };
  return { handler, seen };
}

function client(maxAttempts: number, handler: AwsClientOverrides['requestHandler']) {
  const config = plugin.parseConfig({ subnets: ['subnet-1'], region: 'eu-west-1', maxAttempts });
  return new ECSClient(
    awsClientConfig(config, {
      requestHandler: handler,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
  );
}

describe('AWS client retries', () => {
  it('uses adaptive retries with the configured attempts', () => {
    const config = plugin.parseConfig({
      subnets: ['subnet-1'],
      maxAttempts: 7,
      endpoint: 'http://127.0.0.1:5000',
    });
    expect(awsClientConfig(config)).toMatchObject({
      retryMode: 'adaptive',
      maxAttempts: 7,
      endpoint: 'http://127.0.0.1:5000',
    });
  });

  it('absorbs throttling by retrying until a call succeeds', async () => {
    const { handler, seen } = throttlingHandler(2);
    const out = await client(3, handler).send(new ListClustersCommand({}));
    expect(out.clusterArns).toHaveLength(1);
    expect(seen).toEqual(Array(3).fill('AmazonEC2ContainerServiceV20141113.ListClusters'));
  });

  it('gives up after maxAttempts and reports a transient error for core to retry later', async () => {
    const { handler, seen } = throttlingHandler(10);
    const err: unknown = await client(2, handler)
      .send(new ListClustersCommand({}))
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('ThrottlingException');
    expect(seen).toHaveLength(2);
    const converted = toProviderError(err, 'ListClusters');
    expect(isTransient(converted)).toBe(true);
    expect(converted.message).toBe('ListClusters: Rate exceeded');
  });
});
