import RPCClient from '@alicloud/pop-core';
import { setTimeout as sleep } from 'node:timers/promises';

import type { EciEmulator } from '../src/index.js';

export type Method = 'GET' | 'POST';

/** An error as pop-core throws it for an error answer. */
export interface PopError extends Error {
  code: string;
  data: { RequestId: string; HostId: string; Code: string; Message: string; Recommend: string };
  url: string;
  entry: { response: { statusCode: number } };
}

export type Call = <T = Record<string, unknown>>(
  action: string,
  params?: Record<string, unknown>,
) => Promise<T>;

/**
 * The judge: pop-core's RPCClient configured for the emulator exactly as for Alibaba Cloud, only
 * the endpoint and the keys differ.
 */
export function popClient(
  emulator: EciEmulator,
  method: Method,
  keys: { accessKeyId: string; accessKeySecret: string; securityToken?: string } = emulator,
): Call {
  const client = new RPCClient({
    endpoint: emulator.endpoint,
    apiVersion: '2018-08-08',
    accessKeyId: keys.accessKeyId,
    accessKeySecret: keys.accessKeySecret,
    ...(keys.securityToken ? { securityToken: keys.securityToken } : {}),
  });
  return async (action, params = {}) =>
    client.request(action, { RegionId: emulator.regionId, ...params }, { method, timeout: 10_000 });
}

/** The temporary key of an emulator started with `sts`. */
export function stsKeys(emulator: Pick<EciEmulator, 'sts'>): NonNullable<EciEmulator['sts']> {
  if (!emulator.sts) throw new Error('the emulator was started without sts');
  return emulator.sts;
}

/** The error a call is refused with (fails the test when the call succeeds). */
export async function refusal(promise: Promise<unknown>): Promise<PopError> {
  try {
    await promise;
  } catch (error) {
    return error as PopError;
  }
  throw new Error('expected the call to be refused');
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

export interface WireState {
  State: string;
  Reason?: string;
  DetailStatus?: string;
  ExitCode?: number;
  StartTime?: string;
  FinishTime?: string;
  Message?: string;
}

export interface WireContainer {
  Name: string;
  Image: string;
  RestartCount: number;
  Ready: boolean;
  CurrentState: WireState;
  PreviousState?: WireState;
  [key: string]: unknown;
}

export interface WireGroup {
  ContainerGroupId: string;
  ContainerGroupName: string;
  Status: string;
  Cpu: number;
  Memory: number;
  IntranetIp: string;
  Tags: Array<{ Key: string; Value: string }>;
  Events: Array<Record<string, unknown>>;
  Containers: WireContainer[];
  InitContainers: WireContainer[];
  Volumes: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** A record of DescribeContainerGroupMetric / DescribeMultiContainerGroupMetric. */
export interface WireMetricRecord {
  Timestamp: string;
  CPU: { Limit: number; UsageNanoCores: number; UsageCoreNanoSeconds: number };
  Containers: Array<{ Name: string }>;
  [key: string]: unknown;
}

export async function describeGroup(call: Call, id: string): Promise<WireGroup | undefined> {
  const answer = await call<{ ContainerGroups: WireGroup[] }>('DescribeContainerGroups', {
    ContainerGroupIds: JSON.stringify([id]),
  });
  return answer.ContainerGroups[0];
}

/** Waits for the group to reach `status` and returns it. */
export async function groupIn(
  call: Call,
  id: string,
  status: string,
  timeoutMs?: number,
): Promise<WireGroup> {
  return eventually(async () => {
    const group = await describeGroup(call, id);
    return group?.Status === status ? group : undefined;
  }, timeoutMs);
}

/** A minimal valid CreateContainerGroup request (pop-core flattens the arrays). */
export function groupRequest(
  name: string,
  containers: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
) {
  return {
    ContainerGroupName: name,
    SecurityGroupId: 'sg-test',
    VSwitchId: 'vsw-test',
    Container: containers,
    ...extra,
  };
}
