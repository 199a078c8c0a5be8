import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEciEmulator, type EciEmulator } from '../../src/index.js';
import {
  describeGroup,
  eventually,
  groupIn,
  groupRequest,
  popClient,
  refusal,
  type Call,
  type WireGroup,
} from '../support.js';

const sleeper = { Name: 'app', Image: 'busybox', Command: ['sleep', '3600'] };

async function create(call: Call, request: Record<string, unknown>): Promise<string> {
  return (await call<{ ContainerGroupId: string }>('CreateContainerGroup', request)).ContainerGroupId;
}

describe('container groups', () => {
  let emulator: EciEmulator;
  let call: Call;
  beforeAll(async () => {
    emulator = await startEciEmulator({ timing: { schedulingMs: 10, pendingMs: 10, restartBackoffMs: 30 } });
    call = popClient(emulator, 'POST');
  });
  afterAll(() => emulator.stop());

  it('ClientToken: the same token and parameters give the same group and create no second one', async () => {
    const request = { ...groupRequest('idem', [sleeper]), ClientToken: 'pod-uid-1' };
    const first = await create(call, request);
    const second = await create(call, request);
    expect(second).toBe(first);
    expect(emulator.groups().filter(group => group.name === 'idem')).toHaveLength(1);
    const mismatch = await refusal(call('CreateContainerGroup', { ...request, RestartPolicy: 'Never' }));
    expect(mismatch.code).toBe('IdempotentParameterMismatch');
    expect(mismatch.entry.response.statusCode).toBe(400);
    // Without a token every call creates.
    const untokened = groupRequest('plain', [sleeper]);
    expect(await create(call, untokened)).not.toBe(await create(call, untokened));
  });

  it('ClientToken makes RestartContainerGroup, UpdateContainerGroup and DeleteContainerGroup happen once', async () => {
    const id = await create(call, groupRequest('once', [sleeper]));
    await groupIn(call, id, 'Running');
    const restart = { ContainerGroupId: id, ClientToken: 'restart-1' };
    await call('RestartContainerGroup', restart);
    await groupIn(call, id, 'Running');
    await call('RestartContainerGroup', restart);
    expect((await groupIn(call, id, 'Running')).Containers[0]!.RestartCount).toBe(1);
    expect(emulator.callCount('RestartContainerGroup', 'OK')).toBe(2);

    const update = {
      ContainerGroupId: id,
      ClientToken: 'update-1',
      UpdateType: 'IncrementalUpdate',
      Container: [{ Name: 'app', Image: 'busybox:2' }],
    };
    await call('UpdateContainerGroup', update);
    await groupIn(call, id, 'Running');
    await call('UpdateContainerGroup', update);
    expect((await groupIn(call, id, 'Running')).Containers[0]).toMatchObject({
      Image: 'busybox:2',
      RestartCount: 2,
    });

    const remove = { ContainerGroupId: id, ClientToken: 'delete-1' };
    await call('DeleteContainerGroup', remove);
    await expect(call('DeleteContainerGroup', remove)).resolves.toHaveProperty('RequestId');
    expect((await refusal(call('DeleteContainerGroup', { ContainerGroupId: id }))).code).toBe(
      'InvalidContainerGroup.NotFound',
    );
  });

  it('pages DescribeContainerGroups with Limit and NextToken, newest first, with TotalCount', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 23; index++) {
      ids.push(
        await create(
          call,
          groupRequest(`page-${index}`, [sleeper], { Tag: [{ Key: 'batch', Value: 'paging' }] }),
        ),
      );
    }
    const filter = { 'Tag.1.Key': 'batch', 'Tag.1.Value': 'paging' };
    const seen: string[] = [];
    let nextToken = '';
    const pages: number[] = [];
    do {
      const page = await call<{ ContainerGroups: WireGroup[]; NextToken: string; TotalCount: number }>(
        'DescribeContainerGroups',
        { ...filter, Limit: 10, ...(nextToken ? { NextToken: nextToken } : {}) },
      );
      expect(page.TotalCount).toBe(23);
      pages.push(page.ContainerGroups.length);
      seen.push(...page.ContainerGroups.map(group => group.ContainerGroupId));
      nextToken = page.NextToken;
    } while (nextToken);
    expect(pages).toEqual([10, 10, 3]);
    expect(seen).toEqual([...ids].reverse());
    // The default page is 20; more than 20 is refused; a token only fits the query that issued it.
    const first = await call<{ ContainerGroups: WireGroup[]; NextToken: string }>(
      'DescribeContainerGroups',
      filter,
    );
    expect(first.ContainerGroups).toHaveLength(20);
    expect((await refusal(call('DescribeContainerGroups', { ...filter, Limit: 21 }))).code).toBe(
      'InvalidParameter',
    );
    const foreign = await refusal(call('DescribeContainerGroups', { NextToken: first.NextToken }));
    expect(foreign.data.Message).toContain('"NextToken"');
  });

  it('filters by tags (all must match), ids, name and status', async () => {
    const a = await create(
      call,
      groupRequest('tag-a', [sleeper], {
        Tag: [
          { Key: 'node', Value: 'n1' },
          { Key: 'team', Value: 'x' },
        ],
      }),
    );
    const b = await create(
      call,
      groupRequest('tag-b', [sleeper], {
        Tag: [
          { Key: 'node', Value: 'n1' },
          { Key: 'team', Value: 'y' },
        ],
      }),
    );
    await create(call, groupRequest('tag-c', [sleeper], { Tag: [{ Key: 'node', Value: 'n2' }] }));
    const ids = async (params: Record<string, unknown>) =>
      (await call<{ ContainerGroups: WireGroup[] }>('DescribeContainerGroups', params)).ContainerGroups.map(
        group => group.ContainerGroupId,
      );
    expect(await ids({ Tag: [{ Key: 'node', Value: 'n1' }] })).toEqual([b, a]);
    expect(
      await ids({
        Tag: [
          { Key: 'node', Value: 'n1' },
          { Key: 'team', Value: 'x' },
        ],
      }),
    ).toEqual([a]);
    expect(await ids({ Tag: [{ Key: 'team' }] })).toEqual([b, a]);
    expect(await ids({ ContainerGroupIds: JSON.stringify([a, 'eci-unknown']) })).toEqual([a]);
    expect(await ids({ ContainerGroupName: 'tag-b' })).toEqual([b]);
    await groupIn(call, a, 'Running');
    await call('DeleteContainerGroup', { ContainerGroupId: b });
    expect(await ids({ Tag: [{ Key: 'node', Value: 'n1' }], Status: 'Running' })).toEqual([a]);
    const tooMany = JSON.stringify(Array.from({ length: 21 }, (_, index) => `eci-${index}`));
    expect((await refusal(call('DescribeContainerGroups', { ContainerGroupIds: tooMany }))).code).toBe(
      'InvalidParameter',
    );
    expect((await refusal(call('DescribeContainerGroups', { ContainerGroupIds: 'eci-a,eci-b' }))).code).toBe(
      'InvalidParameter',
    );
  });

  it('DescribeContainerGroupStatus with SinceSecond returns only recently changed groups', async () => {
    const id = await create(call, groupRequest('since', [sleeper]));
    await groupIn(call, id, 'Running');
    const recent = await call<{ Data: Array<{ ContainerGroupId: string }> }>('DescribeContainerGroupStatus', {
      SinceSecond: 5,
    });
    expect(recent.Data.map(entry => entry.ContainerGroupId)).toContain(id);
    const page = await call<{ Data: unknown[]; NextToken: string }>('DescribeContainerGroupStatus', {
      Limit: 2,
    });
    expect(page.Data).toHaveLength(2);
    expect(page.NextToken).not.toBe('');
  });

  it('ends per restart policy: Never → Failed with the exit code, OnFailure → Succeeded', async () => {
    const failing = await create(
      call,
      groupRequest('never', [{ Name: 'job', Image: 'busybox', Command: ['sh', '-c', 'echo bye; exit 3'] }], {
        RestartPolicy: 'Never',
      }),
    );
    const failed = await groupIn(call, failing, 'Failed');
    expect(failed.Containers[0]).toMatchObject({
      Ready: false,
      RestartCount: 0,
      CurrentState: { State: 'Terminated', ExitCode: 3, Reason: 'Error', DetailStatus: 'Error' },
    });
    expect(failed.Containers[0]!.CurrentState.FinishTime).toMatch(/Z$/);
    expect(failed['FailedTime']).toMatch(/Z$/);

    const succeeding = await create(
      call,
      groupRequest('onfailure', [{ Name: 'job', Image: 'busybox', Command: ['sh', '-c', 'exit 0'] }], {
        RestartPolicy: 'OnFailure',
      }),
    );
    const succeeded = await groupIn(call, succeeding, 'Succeeded');
    expect(succeeded.Containers[0]!.CurrentState).toMatchObject({
      State: 'Terminated',
      ExitCode: 0,
      Reason: 'Completed',
    });
    expect(succeeded['SucceededTime']).toMatch(/Z$/);
  });

  it('restarts an exiting container under Always: RestartCount, PreviousState, a BackOff event', async () => {
    const id = await create(
      call,
      groupRequest('crash', [
        { Name: 'crash', Image: 'busybox', Command: ['sh', '-c', 'echo boom; exit 2'] },
      ]),
    );
    const group = await eventually(async () => {
      const current = await describeGroup(call, id);
      return (current?.Containers[0]?.RestartCount ?? 0) >= 2 ? current : undefined;
    });
    expect(group.Status).toBe('Running');
    expect(group.Containers[0]!.PreviousState).toMatchObject({
      State: 'Terminated',
      ExitCode: 2,
      Reason: 'Error',
    });
    const backOff = group.Events.find(event => event['Reason'] === 'BackOff');
    expect(backOff).toMatchObject({
      Type: 'Warning',
      Message: 'Back-off restarting failed container crash in pod crash',
    });
    expect(backOff!['Count']).toBeGreaterThanOrEqual(1);
  });

  it('moves Scheduling → Pending → Running over the configured delays', async () => {
    emulator.timing.schedulingMs = 300;
    emulator.timing.pendingMs = 300;
    try {
      const id = await create(call, groupRequest('slow', [sleeper]));
      const scheduling = (await describeGroup(call, id))!;
      expect(scheduling.Status).toBe('Scheduling');
      expect(scheduling.IntranetIp).toBe('');
      expect(scheduling.Containers[0]!.CurrentState).toMatchObject({ State: 'Waiting' });
      const pending = await groupIn(call, id, 'Pending');
      expect(pending.IntranetIp).not.toBe('');
      expect(pending.Containers[0]!.CurrentState).toMatchObject({
        State: 'Waiting',
        Reason: 'ContainerCreating',
      });
      await groupIn(call, id, 'Running');
    } finally {
      emulator.timing.schedulingMs = 10;
      emulator.timing.pendingMs = 10;
    }
  });

  it('ends ScheduleFailed when a group cannot be placed (no GPU stock, an injected failure)', async () => {
    const gpu = await create(call, groupRequest('gpu', [{ ...sleeper, Gpu: 1 }]));
    const failed = await groupIn(call, gpu, 'ScheduleFailed');
    expect(failed.Events).toContainEqual(
      expect.objectContaining({ Type: 'Warning', Reason: 'FailedScheduling' }),
    );
    emulator.faults.failScheduling();
    const unlucky = await create(call, groupRequest('unlucky', [sleeper]));
    await groupIn(call, unlucky, 'ScheduleFailed');
    const lucky = await create(call, groupRequest('lucky', [sleeper]));
    await groupIn(call, lucky, 'Running');
    // A group that is not Pending or Running cannot restart.
    const refused = await refusal(call('RestartContainerGroup', { ContainerGroupId: unlucky }));
    expect({ status: refused.entry.response.statusCode, code: refused.code }).toEqual({
      status: 403,
      code: 'IncorrectStatus',
    });
  });

  it('throttles on demand and forgets a group deleted out of band', async () => {
    const id = await create(call, groupRequest('oob', [sleeper]));
    emulator.faults.throttle({ times: 2, actions: ['DescribeContainerGroups'] });
    const throttled = await refusal(call('DescribeContainerGroups', {}));
    expect({
      status: throttled.entry.response.statusCode,
      code: throttled.code,
      message: throttled.data.Message,
    }).toEqual({
      status: 400,
      code: 'Throttling.User',
      message: 'Request was denied due to user flow control.',
    });
    expect((await refusal(call('DescribeContainerGroups', {}))).code).toBe('Throttling.User');
    await expect(call('DescribeContainerGroups', {})).resolves.toHaveProperty('ContainerGroups');
    emulator.faults.throttle({ code: 'Throttling' });
    expect((await refusal(call('DescribeRegions', {}))).code).toBe('Throttling');
    emulator.faults.clear();
    emulator.faults.fail({ code: 'ServiceUnavailable', status: 503, times: 1 });
    expect((await refusal(call('DescribeRegions', {}))).entry.response.statusCode).toBe(503);

    expect(emulator.faults.deleteOutOfBand(id)).toBe(true);
    expect(await describeGroup(call, id)).toBeUndefined();
    expect(
      (await refusal(call('DescribeContainerLog', { ContainerGroupId: id, ContainerName: 'app' }))).code,
    ).toBe('InvalidContainerGroup.NotFound');
  });
});

describe('CreateContainerGroup validation', () => {
  let emulator: EciEmulator;
  let call: Call;
  beforeAll(async () => {
    emulator = await startEciEmulator({ vSwitchIds: ['vsw-a', 'vsw-b'], securityGroupIds: ['sg-a'] });
    call = popClient(emulator, 'GET');
  });
  afterAll(() => emulator.stop());

  const refused = async (request: Record<string, unknown>) => {
    const error = await refusal(call('CreateContainerGroup', request));
    return `${error.entry.response.statusCode} ${error.code}: ${error.data.Message}`;
  };
  const valid = {
    ContainerGroupName: 'ok',
    VSwitchId: 'vsw-a',
    SecurityGroupId: 'sg-a',
    Container: [sleeper],
  };

  it('names the missing or malformed parameter', async () => {
    const { ContainerGroupName: _name, ...unnamed } = valid;
    expect(await refused(unnamed)).toBe(
      '400 MissingParameter: The input parameter "ContainerGroupName" that is mandatory for processing this request is not supplied.',
    );
    expect(await refused({ ...valid, ContainerGroupName: 'Bad_Name' })).toMatch(
      /^400 InvalidParameter: .*"ContainerGroupName"/,
    );
    expect(await refused({ ...valid, Container: [{ Name: 'app' }] })).toMatch(
      /^400 MissingParameter: .*"Container\.1\.Image"/,
    );
    expect(await refused({ ...valid, Container: [] })).toMatch(
      /^400 MissingParameter: .*"Container\.1\.Name"/,
    );
    expect(await refused({ ...valid, Container: [sleeper, sleeper] })).toMatch(
      /"Container\.2\.Name".*used twice/,
    );
    expect(await refused({ ...valid, Container: [{ ...sleeper, Cpu: 'two' }] })).toMatch(
      /"Container\.1\.Cpu"/,
    );
    expect(await refused({ ...valid, Container: [{ ...sleeper, Cpu: 65 }] })).toMatch(
      /"Container\.1\.Cpu".*64 vCPUs/,
    );
    expect(await refused({ ...valid, Memory: 1024 })).toMatch(/"Memory".*1024 GiB/);
    expect(
      await refused({ ...valid, Container: [{ ...sleeper, EnvironmentVar: [{ Key: '1BAD', Value: 'x' }] }] }),
    ).toMatch(/"Container\.1\.EnvironmentVar\.1\.Key"/);
    expect(
      await refused({
        ...valid,
        Container: [{ ...sleeper, VolumeMount: [{ Name: 'nope', MountPath: '/x' }] }],
      }),
    ).toMatch(/"Container\.1\.VolumeMount\.1\.Name".*No volume named nope/);
    expect(await refused({ ...valid, Volume: [{ Name: 'v', Type: 'NFSVolume' }] })).toMatch(
      /"Volume\.1\.NFSVolume\.Server"/,
    );
    expect(
      await refused({
        ...valid,
        Volume: [
          {
            Name: 'v',
            Type: 'ConfigFileVolume',
            'ConfigFileVolume.ConfigFileToPath': [{ Path: '../x', Content: '' }],
          },
        ],
      }),
    ).toMatch(/"Volume\.1\.ConfigFileVolume\.ConfigFileToPath\.1\.Path"/);
    expect(await refused({ ...valid, RestartPolicy: 'Sometimes' })).toMatch(
      /"RestartPolicy".*Always, Never, OnFailure/,
    );
    expect(await refused({ ...valid, Tag: [{ Key: 'acs:reserved', Value: 'x' }] })).toMatch(/"Tag\.1\.Key"/);
    expect(
      await refused({ ...valid, Container: [{ ...sleeper, Command: ['sh', '-c', "echo 'open"] }] }),
    ).toMatch(/"Container\.1\.Command".*unterminated/);
    expect(
      await refused({
        ...valid,
        Container: [{ ...sleeper, 'LivenessProbe.HttpGet.Path': '/', 'LivenessProbe.TcpSocket.Port': 80 }],
      }),
    ).toMatch(/"Container\.1\.LivenessProbe".*exactly one/);
    expect(await refused({ ...valid, ZoneId: 'cn-hangzhou-z' })).toMatch(/"ZoneId"/);
    expect(await refused({ ...valid, VSwitchId: 'vsw-other' })).toBe(
      '404 InvalidVSwitchId.NotFound: The specified VSwitchId "vsw-other" does not exist.',
    );
    expect(await refused({ ...valid, SecurityGroupId: 'sg-other' })).toMatch(
      /^404 InvalidSecurityGroupId\.NotFound/,
    );
    expect(emulator.groups()).toEqual([]);
  });

  it('rounds resources up to an offered specification and defaults to 2 vCPU / 4 GiB', async () => {
    const small = await create(call, {
      ...valid,
      ContainerGroupName: 'small',
      Container: [{ ...sleeper, Cpu: 0.3, Memory: 0.6 }],
    });
    expect(await describeGroup(call, small)).toMatchObject({ Cpu: 0.5, Memory: 1 });
    const plain = await create(call, { ...valid, ContainerGroupName: 'plain' });
    expect(await describeGroup(call, plain)).toMatchObject({ Cpu: 2, Memory: 4 });
    const sized = await create(call, { ...valid, ContainerGroupName: 'sized', Cpu: 7, Memory: 13 });
    expect(await describeGroup(call, sized)).toMatchObject({ Cpu: 8, Memory: 16 });
  });

  it('takes a large request over GET (a 24 KB config file in the URL)', async () => {
    const content = Buffer.alloc(24 * 1024, 'a').toString('base64');
    const id = await create(call, {
      ...valid,
      ContainerGroupName: 'big',
      Volume: [
        {
          Name: 'conf',
          Type: 'ConfigFileVolume',
          'ConfigFileVolume.ConfigFileToPath': [{ Path: 'f', Content: content }],
        },
      ],
    });
    expect((await describeGroup(call, id))!.Volumes[0]).toMatchObject({
      ConfigFileVolumeConfigFileToPaths: [{ Content: content }],
    });
  });

  it('answers DryRun with DryRunOperation and creates nothing', async () => {
    const before = emulator.groups().length;
    expect(await refused({ ...valid, ContainerGroupName: 'dry', DryRun: true })).toMatch(
      /^400 DryRunOperation/,
    );
    expect(emulator.groups()).toHaveLength(before);
  });
});
