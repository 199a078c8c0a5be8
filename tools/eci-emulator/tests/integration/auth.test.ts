import RPCClient from '@alicloud/pop-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEciEmulator, type EciEmulator } from '../../src/index.js';
import { popClient, refusal, stsKeys, type Method, type PopError } from '../support.js';

/** A signed GET request pop-core sent (its verbose mode hands back what it sent), to send again. */
async function sentUrl(emulator: EciEmulator): Promise<string> {
  const client = new RPCClient(
    {
      endpoint: emulator.endpoint,
      apiVersion: '2018-08-08',
      accessKeyId: emulator.accessKeyId,
      accessKeySecret: emulator.accessKeySecret,
    },
    // @ts-expect-error pop-core's typings omit the verbose flag its constructor takes.
    true,
  );
  const [, entry] = await client.request<[unknown, { url: string }]>('DescribeRegions', {
    RegionId: emulator.regionId,
  });
  return entry.url;
}

/** The refusal as the wire carried it: HTTP status, Code, and the full error body. */
function wire(error: PopError) {
  return { status: error.entry.response.statusCode, code: error.data.Code, body: error.data };
}

describe.each(['GET', 'POST'] as Method[])('signature v1 over %s', method => {
  let emulator: EciEmulator;
  beforeAll(async () => {
    emulator = await startEciEmulator({ sts: true });
  });
  afterAll(() => emulator.stop());

  it('accepts a request pop-core signs with the right keys', async () => {
    const answer = await popClient(
      emulator,
      method,
    )<{ RequestId: string; Regions: unknown[] }>('DescribeRegions');
    expect(answer.RequestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(answer.Regions).toHaveLength(1);
  });

  it('refuses a request signed with a wrong secret: SignatureDoesNotMatch, HTTP 400, the server string to sign', async () => {
    const error = await refusal(
      popClient(emulator, method, { accessKeyId: emulator.accessKeyId, accessKeySecret: 'wrong-secret' })(
        'DescribeRegions',
      ),
    );
    const { status, code, body } = wire(error);
    expect({ status, code }).toEqual({ status: 400, code: 'SignatureDoesNotMatch' });
    expect(body.Message).toMatch(
      new RegExp(
        `^Specified signature is not matched with our calculation\\. server string to sign is:${method}&%2F&AccessKeyId%3D`,
      ),
    );
    expect(body.HostId).toBe(new URL(emulator.endpoint).host);
    expect(body.Recommend).toContain('SignatureDoesNotMatch');
    expect(body.RequestId).toBeTruthy();
  });

  it('refuses an unknown AccessKeyId: InvalidAccessKeyId.NotFound, HTTP 404', async () => {
    const error = await refusal(
      popClient(emulator, method, { accessKeyId: 'LTAInobody', accessKeySecret: emulator.accessKeySecret })(
        'DescribeRegions',
      ),
    );
    expect(wire(error)).toMatchObject({ status: 404, code: 'InvalidAccessKeyId.NotFound' });
  });

  it('refuses a stale timestamp (more than 15 minutes off): InvalidTimeStamp.Expired, HTTP 400', async () => {
    const call = popClient(emulator, method);
    try {
      emulator.faults.skewClock(16 * 60 * 1000);
      expect(wire(await refusal(call('DescribeRegions')))).toMatchObject({
        status: 400,
        code: 'InvalidTimeStamp.Expired',
      });
      emulator.faults.skewClock(-16 * 60 * 1000);
      expect(wire(await refusal(call('DescribeRegions')))).toMatchObject({
        code: 'InvalidTimeStamp.Expired',
      });
      emulator.faults.skewClock(14 * 60 * 1000);
      await expect(call('DescribeRegions')).resolves.toHaveProperty('Regions');
    } finally {
      emulator.faults.clear();
    }
  });

  it('accepts the STS key with its SecurityToken and refuses it without or with another token', async () => {
    const sts = stsKeys(emulator);
    await expect(popClient(emulator, method, sts)('DescribeRegions')).resolves.toHaveProperty('Regions');
    const missing = await refusal(
      popClient(emulator, method, { ...sts, securityToken: undefined })('DescribeRegions'),
    );
    expect(wire(missing)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.Malformed' });
    const wrong = await refusal(
      popClient(emulator, method, { ...sts, securityToken: 'CAISsomeoneelse' })('DescribeRegions'),
    );
    expect(wire(wrong)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.MismatchWithAccessKey' });
    const onPermanentKey = await refusal(
      popClient(emulator, method, { ...emulator, securityToken: sts.securityToken })('DescribeRegions'),
    );
    expect(wire(onPermanentKey)).toMatchObject({ code: 'InvalidSecurityToken.MismatchWithAccessKey' });
  });
});

describe('gateway checks', () => {
  it('refuses an expired STS token, an unsupported version and an unknown action with their codes', async () => {
    await using emulator = await startEciEmulator({ sts: true });
    emulator.faults.expireSecurityToken();
    const expired = await refusal(popClient(emulator, 'GET', stsKeys(emulator))('DescribeRegions'));
    expect(wire(expired)).toMatchObject({ status: 400, code: 'InvalidSecurityToken.Expired' });

    const otherVersion = new RPCClient({
      endpoint: emulator.endpoint,
      apiVersion: '2015-01-01',
      accessKeyId: emulator.accessKeyId,
      accessKeySecret: emulator.accessKeySecret,
    });
    expect(wire(await refusal(otherVersion.request('DescribeRegions', {})))).toMatchObject({
      status: 400,
      code: 'InvalidVersion',
    });
    const unknown = await refusal(popClient(emulator, 'POST')('DescribeNothing'));
    expect(wire(unknown)).toMatchObject({ status: 404, code: 'InvalidAction.NotFound' });
    const otherRegion = await refusal(
      popClient(emulator, 'GET')('DescribeContainerGroups', { RegionId: 'us-west-1' }),
    );
    expect(wire(otherRegion)).toMatchObject({ status: 400, code: 'InvalidRegionId' });
    const noRegion = await refusal(popClient(emulator, 'GET')('DescribeContainerGroups', { RegionId: '' }));
    expect(wire(noRegion)).toMatchObject({ status: 400, code: 'MissingParameter' });
    expect(emulator.callCount('DescribeRegions', 'InvalidSecurityToken.Expired')).toBe(1);
  });

  it('refuses a replayed request: SignatureNonceUsed, HTTP 400', async () => {
    await using emulator = await startEciEmulator();
    // pop-core's verbose mode hands back the signed request it sent; sending it again is a replay.
    const url = await sentUrl(emulator);
    const replay = await fetch(url);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({
      Code: 'SignatureNonceUsed',
      Message: 'Specified signature nonce was used already.',
    });
  });

  it('refuses unsigned requests and tampered parameters', async () => {
    await using emulator = await startEciEmulator();
    const unsigned = await fetch(
      `${emulator.endpoint}/?Action=DescribeRegions&Version=2018-08-08&Format=JSON`,
    );
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ Code: 'IncompleteSignature' });

    const url = await sentUrl(emulator);
    const tampered = await fetch(url.replace('RegionId=cn-hangzhou', 'RegionId=cn-shanghai'));
    expect(tampered.status).toBe(400);
    expect(await tampered.json()).toMatchObject({ Code: 'SignatureDoesNotMatch' });
  });
});
