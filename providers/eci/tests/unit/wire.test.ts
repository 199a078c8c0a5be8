import { isInvalidInput, isNotFound, isTransient } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { describeFailure, EciCredentialsError, toProviderError } from '../../src/client/errors.js';
import { flattenParams } from '../../src/client/params.js';
import { groupName, identityFromTags, podTags } from '../../src/identity.js';
import { fitSpecification } from '../../src/mapping/resources.js';

/** An error answer as pop-core throws it (its message holds the signed URL). */
function popError(code: string, status = 400): Error {
  return Object.assign(
    new Error(`oops, URL: https://eci/?AccessKeyId=LTAIxyz&Signature=abc&SecurityToken=tok`),
    {
      name: `${code}Error`,
      code,
      data: { Code: code, Message: `the ${code} message`, RequestId: 'R-1' },
      entry: { response: { statusCode: status } },
    },
  );
}

describe('flattenParams', () => {
  it('numbers lists from 1, joins members with dots, leaves out undefined, writes scalars as text', () => {
    expect(
      flattenParams({
        A: 'x',
        B: undefined,
        Container: [
          { Name: 'c', Command: ['sh', '-c'], Probe: { HttpGet: { Port: 80, Path: undefined } }, On: true },
        ],
        Empty: [],
      }),
    ).toEqual({
      A: 'x',
      'Container.1.Name': 'c',
      'Container.1.Command.1': 'sh',
      'Container.1.Command.2': '-c',
      'Container.1.Probe.HttpGet.Port': '80',
      'Container.1.On': 'true',
    });
  });
});

describe('errors', () => {
  it.each([
    ['Throttling.User', 400, 'throttled', isTransient],
    ['ServiceUnavailable', 503, 'unavailable', isTransient],
    ['InternalError', 500, 'unavailable', isTransient],
    ['IncorrectStatus', 403, 'busy', isTransient],
    ['InvalidContainerGroup.NotFound', 404, 'not-found', isNotFound],
    ['InvalidParameter', 400, 'invalid', isInvalidInput],
    ['MissingParameter', 400, 'invalid', isInvalidInput],
    ['InvalidVSwitchId.NotFound', 404, 'invalid', isInvalidInput],
    ['RecommendEmpty.InstanceTypeNoStock', 400, 'other', isTransient],
  ])('%s (HTTP %i) is %s', (code, status, kind, is) => {
    expect(describeFailure(popError(code, status)).kind).toBe(kind);
    const mapped = toProviderError(popError(code, status), 'CreateContainerGroup');
    expect(is(mapped)).toBe(true);
    // The message names the action, code, ECI's message and request, never the signed URL.
    expect(mapped.message).toBe(`CreateContainerGroup: ${code}: the ${code} message (request R-1)`);
  });

  it.each([
    'InvalidAccessKeyId.NotFound',
    'SignatureDoesNotMatch',
    'InvalidSecurityToken.Expired',
    'Forbidden.RAM',
  ])('%s is a credentials error, neither NotFound nor retried as transient', code => {
    const mapped = toProviderError(popError(code), 'DescribeRegions');
    expect(mapped).toBeInstanceOf(EciCredentialsError);
    expect(isNotFound(mapped) || isTransient(mapped)).toBe(false);
  });

  it('a network error is transient, without the URL', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1?Signature=x'), {
      code: 'ECONNREFUSED',
    });
    expect(describeFailure(refused)).toEqual({
      kind: 'unavailable',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});

describe('identity', () => {
  const scope = { clusterName: 'prod', nodeName: 'vk-1' };
  const identity = { namespace: 'ns', name: 'web', uid: 'u-1' };

  it('reads back the pod from the tags of its own node and cluster only', () => {
    const tags = podTags(identity, scope);
    expect(identityFromTags(tags, scope)).toEqual(identity);
    expect(identityFromTags(tags, { ...scope, nodeName: 'vk-2' })).toBeUndefined();
    expect(identityFromTags(tags, { ...scope, clusterName: 'dev' })).toBeUndefined();
  });

  it('names groups as ECI allows, shortening long names with a hash of the UID', () => {
    expect(groupName({ namespace: 'kube-system', name: 'dns.v2', uid: 'u' })).toBe('kube-system-dns-v2');
    const long = groupName({ namespace: 'ns', name: 'a'.repeat(200), uid: 'u-1' });
    expect(long).toHaveLength(128);
    expect(long).toMatch(/^ns-a+-[0-9a-f]{10}$/);
    expect(long).not.toBe(groupName({ namespace: 'ns', name: 'a'.repeat(200), uid: 'u-2' }));
  });
});

describe('fitSpecification', () => {
  it.each([
    [
      { cpu: 0.1, memory: 0.1 },
      { cpu: 0.25, memory: 0.5 },
    ],
    [
      { cpu: 0.25, memory: 2 },
      { cpu: 0.5, memory: 2 },
    ],
    [
      { cpu: 0.25, memory: 4 },
      { cpu: 1, memory: 4 },
    ],
    [
      { cpu: 1.5, memory: 3 },
      { cpu: 2, memory: 4 },
    ],
    [
      { cpu: 2, memory: 20 },
      { cpu: 4, memory: 32 },
    ],
    [
      { cpu: 40, memory: 100 },
      { cpu: 52, memory: 192 },
    ],
    [
      { cpu: 64, memory: 512 },
      { cpu: 64, memory: 512 },
    ],
    [{ cpu: 64.5, memory: 1 }, undefined],
    [{ cpu: 1, memory: 513 }, undefined],
  ])('%j → %j', (needed, expected) => {
    expect(fitSpecification(needed)).toEqual(expected);
  });
});
