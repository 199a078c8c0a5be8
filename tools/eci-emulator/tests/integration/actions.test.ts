import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { startEciEmulator, type EciEmulator } from '../../src/index.js';
import {
  describeGroup,
  eventually,
  groupIn,
  groupRequest,
  popClient,
  refusal,
  type Call,
  type Method,
  type WireGroup,
  type WireMetricRecord,
} from '../support.js';

const config = Buffer.from('listen 80;\n').toString('base64');

/** Every kind of flattened parameter a provider sends, as pop-core's users pass them. */
function richRequest(name: string) {
  return groupRequest(
    name,
    [
      {
        Name: 'app',
        Image: 'nginx:1.25',
        Cpu: 0.5,
        Memory: 1,
        Command: ['sh', '-c', 'echo started; echo warn >&2; sleep 3600'],
        EnvironmentVar: [
          { Key: 'GREETING', Value: 'hello world' },
          { Key: 'POD_IP', 'FieldRef.FieldPath': 'status.podIP' },
        ],
        Port: [{ Port: 80, Protocol: 'TCP' }],
        VolumeMount: [{ Name: 'config', MountPath: '/etc/app', ReadOnly: true }],
        'ReadinessProbe.HttpGet.Path': '/healthz',
        'ReadinessProbe.HttpGet.Port': 80,
        ImagePullPolicy: 'IfNotPresent',
        WorkingDir: '/srv',
      },
      { Name: 'side', Image: 'busybox:1.35', Command: ['sleep', '3600'] },
    ],
    {
      InitContainer: [{ Name: 'init', Image: 'busybox:1.35', Command: ['sh', '-c', 'echo init done'] }],
      Volume: [
        {
          Name: 'config',
          Type: 'ConfigFileVolume',
          'ConfigFileVolume.ConfigFileToPath': [
            { Path: 'app.conf', Content: config },
            { Path: 'sub/extra.conf', Content: config },
          ],
        },
      ],
      Tag: [
        { Key: 'cluster', Value: 'c1' },
        { Key: 'uid', Value: `uid-${name}` },
      ],
      RestartPolicy: 'Always',
      ImageRegistryCredential: [{ Server: 'registry.example.com', UserName: 'user', Password: 'secret' }],
    },
  );
}

describe.each(['GET', 'POST'] as Method[])('every action through pop-core over %s', method => {
  let emulator: EciEmulator;
  let call: Call;
  let id: string;

  beforeAll(async () => {
    emulator = await startEciEmulator({
      timing: { schedulingMs: 20, pendingMs: 20, restartingMs: 20, updatingMs: 20 },
    });
    call = popClient(emulator, method);
    ({ ContainerGroupId: id } = await call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      richRequest('web'),
    ));
  });
  afterAll(() => emulator.stop());

  it('CreateContainerGroup answers an ECI instance ID; the group goes Scheduling → Running', async () => {
    expect(id).toMatch(/^eci-[a-z0-9]{20}$/);
    const running = await groupIn(call, id, 'Running');
    expect(running.IntranetIp).toMatch(/^192\.168\.\d+\.\d+$/);
    expect(emulator.groups()).toEqual([
      { containerGroupId: id, name: 'web', status: 'Running', tags: { cluster: 'c1', uid: 'uid-web' } },
    ]);
  });

  it("DescribeContainerGroups echoes every flattened parameter back in ECI's response shape", async () => {
    const group = (await describeGroup(call, id))!;
    expect(group).toMatchObject({
      ContainerGroupName: 'web',
      RegionId: 'cn-hangzhou',
      ZoneId: 'cn-hangzhou-h',
      SecurityGroupId: 'sg-test',
      VSwitchId: 'vsw-test',
      Cpu: 0.5,
      Memory: 1,
      RestartPolicy: 'Always',
      Tags: [
        { Key: 'cluster', Value: 'c1' },
        { Key: 'uid', Value: 'uid-web' },
      ],
    });
    expect(group['CreationTime']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const [app, side] = group.Containers;
    expect(app).toMatchObject({
      Name: 'app',
      Image: 'nginx:1.25',
      Cpu: 0.5,
      Memory: 1,
      Commands: ['sh', '-c', 'echo started; echo warn >&2; sleep 3600'],
      EnvironmentVars: [
        { Key: 'GREETING', Value: 'hello world' },
        { Key: 'POD_IP', Value: '', ValueFrom: { FieldRef: { FieldPath: 'status.podIP' } } },
      ],
      Ports: [{ Port: 80, Protocol: 'TCP' }],
      VolumeMounts: [{ Name: 'config', MountPath: '/etc/app', ReadOnly: true }],
      ReadinessProbe: { HttpGet: { Path: '/healthz', Port: 80 } },
      ImagePullPolicy: 'IfNotPresent',
      WorkingDir: '/srv',
      RestartCount: 0,
      Ready: true,
      CurrentState: { State: 'Running', Reason: 'Started' },
    });
    expect(app!.CurrentState.StartTime).toMatch(/Z$/);
    expect(side).toMatchObject({
      Name: 'side',
      Commands: ['sleep', '3600'],
      CurrentState: { State: 'Running' },
    });
    expect(group.InitContainers).toEqual([
      expect.objectContaining({
        Name: 'init',
        Command: ['sh', '-c', 'echo init done'],
        CurrentState: expect.objectContaining({ State: 'Terminated', ExitCode: 0, Reason: 'Completed' }),
      }),
    ]);
    expect(group.Volumes).toEqual([
      {
        Name: 'config',
        Type: 'ConfigFileVolume',
        ConfigFileVolumeConfigFileToPaths: [
          { Path: 'app.conf', Content: config },
          { Path: 'sub/extra.conf', Content: config },
        ],
      },
    ]);
    expect(group.Events.map(event => event['Reason'])).toEqual(
      expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']),
    );
    expect(group.Events[0]).toMatchObject({ Type: 'Normal', Count: 1 });
  });

  it('DescribeContainerGroupStatus reports the Kubernetes-shaped status', async () => {
    const { Data, TotalCount } = await call<{
      Data: Array<{ PodStatus: { Conditions: unknown[] } }>;
      TotalCount: number;
    }>('DescribeContainerGroupStatus', { ContainerGroupIds: JSON.stringify([id]) });
    expect(TotalCount).toBe(1);
    expect(Data[0]).toMatchObject({
      ContainerGroupId: id,
      Name: 'web',
      Status: 'Running',
      PodStatus: {
        Phase: 'Running',
        ContainerStatuses: [
          { Name: 'app', Ready: true, Started: true, RestartCount: 0, State: { Running: {} } },
          { Name: 'side', Ready: true },
        ],
      },
    });
    expect(Data[0]!.PodStatus.Conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    );
  });

  it("DescribeContainerGroupEvents lists the group's events with their involved object", async () => {
    const { Data } = await call<{ Data: Array<{ ContainerGroupId: string; Events: unknown[] }> }>(
      'DescribeContainerGroupEvents',
      {
        ContainerGroupIds: JSON.stringify([id]),
      },
    );
    expect(Data[0]!.ContainerGroupId).toBe(id);
    expect(Data[0]!.Events).toContainEqual(
      expect.objectContaining({
        Reason: 'Started',
        Message: 'Started container app',
        involvedObject: expect.objectContaining({ Kind: 'Pod', Name: 'web' }),
      }),
    );
  });

  it('DescribeContainerLog honours Tail, Timestamps, LimitBytes and StartTime', async () => {
    const log = (params: Record<string, unknown> = {}) =>
      call<{ Content: string; ContainerName: string }>('DescribeContainerLog', {
        ContainerGroupId: id,
        ContainerName: 'app',
        ...params,
      });
    expect(await log()).toMatchObject({ ContainerName: 'app', Content: 'started\nwarn\n' });
    expect((await log({ Tail: 1 })).Content).toBe('warn\n');
    expect((await log({ LimitBytes: 3 })).Content).toBe('sta');
    expect((await log({ Timestamps: true })).Content).toMatch(
      /^\d{4}-\d{2}-\d{2}T[\d:.]+Z started\n\S+Z warn\n$/,
    );
    expect((await log({ StartTime: new Date(Date.now() + 60_000).toISOString() })).Content).toBe('');
    expect((await log({ SinceSeconds: 600 })).Content).toBe('started\nwarn\n');
    const init = await call<{ Content: string }>('DescribeContainerLog', {
      ContainerGroupId: id,
      ContainerName: 'init',
    });
    expect(init.Content).toBe('init done\n');
  });

  it('ExecContainerCommand with Sync answers the output; without, a WebSocketUri and HttpUrl', async () => {
    const sync = await call<{ SyncResponse: string }>('ExecContainerCommand', {
      ContainerGroupId: id,
      ContainerName: 'app',
      Command: JSON.stringify(['env']),
      Sync: true,
      TTY: false,
    });
    const group = (await describeGroup(call, id))!;
    expect(sync.SyncResponse).toContain('GREETING=hello world\n');
    expect(sync.SyncResponse).toContain(`POD_IP=${group.IntranetIp}\n`);
    const session = await call<{ WebSocketUri: string; HttpUrl: string }>('ExecContainerCommand', {
      ContainerGroupId: id,
      ContainerName: 'app',
      Command: JSON.stringify(['/bin/sh']),
      TTY: true,
      Stdin: true,
    });
    expect(session.WebSocketUri).toMatch(
      new RegExp(`^ws://${new URL(emulator.endpoint).host}/exec/\\?s=[\\w-]+$`),
    );
    expect(session.HttpUrl).toMatch(/\/terminal\?param=[\w-]+$/);
    expect((await fetch(session.HttpUrl)).status).toBe(200);
  });

  it('DescribeContainerGroupMetric and DescribeMultiContainerGroupMetric report usage of running containers', async () => {
    const multi = await call<{
      MonitorDatas: Array<{ ContainerGroupId: string; Records: WireMetricRecord[] }>;
    }>('DescribeMultiContainerGroupMetric', {
      ContainerGroupIds: JSON.stringify([id, 'eci-doesnotexist0000000']),
      MetricType: 'summary',
    });
    expect(multi.MonitorDatas).toHaveLength(1);
    const [latest] = multi.MonitorDatas[0]!.Records;
    expect(latest).toMatchObject({
      CPU: { Limit: 500 },
      Memory: { WorkingSet: expect.any(Number) },
      Network: { Interfaces: [expect.objectContaining({ Name: 'eth0' })] },
    });
    expect(latest!['CPU']['UsageNanoCores']).toBeGreaterThan(0);
    expect(latest!['Containers'].map((container: { Name: string }) => container.Name)).toEqual([
      'app',
      'side',
    ]);

    // Records fall on Period boundaries after the containers started: let 40 s pass on the clocks.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 40_000);
      const metric = await call<{ ContainerGroupId: string; Records: WireMetricRecord[] }>(
        'DescribeContainerGroupMetric',
        { ContainerGroupId: id, Period: '15' },
      );
      expect(metric.ContainerGroupId).toBe(id);
      expect(metric.Records.length).toBeGreaterThanOrEqual(2);
      const times = metric.Records.map(record => Date.parse(record.Timestamp));
      expect(times.every(time => time % 15_000 === 0)).toBe(true);
      const cpu = metric.Records.map(record => record.CPU.UsageCoreNanoSeconds);
      expect(cpu[1]!).toBeGreaterThan(cpu[0]!);
    } finally {
      vi.useRealTimers();
    }
  });

  it("RestartContainerGroup goes through Restarting and counts a restart, keeping the last run's log", async () => {
    // Long enough to observe the transient state even on a loaded machine.
    emulator.timing.restartingMs = 500;
    await call('RestartContainerGroup', { ContainerGroupId: id });
    expect((await describeGroup(call, id))!.Status).toBe('Restarting');
    const group = await eventually(async () => {
      const current = await describeGroup(call, id);
      return current?.Status === 'Running' && current.Containers[0]!.Ready ? current : undefined;
    });
    expect(group.Containers[0]).toMatchObject({
      RestartCount: 1,
      PreviousState: { State: 'Terminated', ExitCode: 137, Reason: 'Killed' },
    });
    const previous = await call<{ Content: string }>('DescribeContainerLog', {
      ContainerGroupId: id,
      ContainerName: 'app',
      LastTime: true,
    });
    expect(previous.Content).toBe('started\nwarn\n');
  });

  it('UpdateContainerGroup changes an image incrementally through Updating; a tag update restarts nothing', async () => {
    emulator.timing.updatingMs = 500;
    await call('UpdateContainerGroup', {
      ContainerGroupId: id,
      UpdateType: 'IncrementalUpdate',
      Container: [{ Name: 'side', Image: 'busybox:1.36' }],
    });
    expect((await describeGroup(call, id))!.Status).toBe('Updating');
    const updated: WireGroup = await groupIn(call, id, 'Running');
    expect(updated.Containers.map(container => container.Image)).toEqual(['nginx:1.25', 'busybox:1.36']);
    expect(updated.Containers[1]!['Commands']).toEqual(['sleep', '3600']);
    const restarts = updated.Containers.map(container => container.RestartCount);

    await call('UpdateContainerGroup', {
      ContainerGroupId: id,
      UpdateType: 'IncrementalUpdate',
      Tag: [{ Key: 'owner', Value: 'team-a' }],
    });
    const tagged = (await describeGroup(call, id))!;
    expect(tagged.Status).toBe('Running');
    expect(tagged.Tags).toEqual([
      { Key: 'cluster', Value: 'c1' },
      { Key: 'uid', Value: 'uid-web' },
      { Key: 'owner', Value: 'team-a' },
    ]);
    expect(tagged.Containers.map(container => container.RestartCount)).toEqual(restarts);
  });

  it('DescribeRegions answers the emulated region (a cheap ping)', async () => {
    const { Regions } = await call<{ Regions: Array<Record<string, unknown>> }>('DescribeRegions');
    expect(Regions).toEqual([
      expect.objectContaining({ RegionId: 'cn-hangzhou', RegionEndpoint: 'eci.cn-hangzhou.aliyuncs.com' }),
    ]);
  });

  it('DeleteContainerGroup removes the group; a second delete is InvalidContainerGroup.NotFound (404)', async () => {
    await call('DeleteContainerGroup', { ContainerGroupId: id });
    expect(await describeGroup(call, id)).toBeUndefined();
    expect(emulator.groups()).toEqual([]);
    const again = await refusal(call('DeleteContainerGroup', { ContainerGroupId: id }));
    expect(again.entry.response.statusCode).toBe(404);
    expect(again.code).toBe('InvalidContainerGroup.NotFound');
  });
});
