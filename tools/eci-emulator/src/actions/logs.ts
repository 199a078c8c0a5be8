import { applyLogOptions, END_OF_HISTORY, type LogItem } from '@vkubelet/provider-kit';
import type { ContainerLog } from '@vkubelet/provider-kit/mock';

import type { ContainerGroup } from '../groups/group.js';
import { apiErrors } from '../rpc/errors.js';
import type { Params } from '../rpc/params.js';
import type { ActionContext, Wire } from './context.js';

const DEFAULT_TAIL = 500;
const MAX_TAIL = 2000;
const MAX_BYTES = 1024 * 1024;

/**
 * DescribeContainerLog: the last `Tail` lines (default 500, at most 2000) of the container's current
 * run, or of the run before it with `LastTime`; `SinceSeconds` or `StartTime` (RFC 3339) drop older
 * lines, `Timestamps` prefixes each line with its RFC 3339 time, and the content never exceeds
 * `LimitBytes` (at most 1 MB). A container that has not started yet has no log.
 */
export async function describeContainerLog({ service, params }: ActionContext): Promise<Wire> {
  const group = service.store.require(params.requiredString('ContainerGroupId'));
  const name = params.requiredString('ContainerName');
  const log = containerLog(group, name, params.boolean('LastTime') ?? false);
  const limitBytes = params.integer('LimitBytes', { min: 1, max: MAX_BYTES }) ?? MAX_BYTES;
  const options = {
    tailLines: params.integer('Tail', { min: 0, max: MAX_TAIL }) ?? DEFAULT_TAIL,
    limitBytes,
    timestamps: params.boolean('Timestamps') ?? false,
    follow: false,
    previous: false,
    ...readSince(params),
  };
  const chunks: Buffer[] = [];
  if (log) for await (const chunk of applyLogOptions(history(log), options)) chunks.push(chunk);
  return { ContainerName: name, Content: Buffer.concat(chunks).toString('utf8') };
}

function containerLog(group: ContainerGroup, name: string, previous: boolean): ContainerLog | undefined {
  const declared = [...group.spec.containers, ...group.spec.initContainers].some(
    container => container.name === name,
  );
  if (!declared) throw apiErrors.invalidParameter('ContainerName', `No container ${name} in ${group.id}.`);
  return previous ? group.previousLog(name) : group.containerRun(name)?.logs.at(-1);
}

function readSince(params: Params): { sinceSeconds?: number; sinceTime?: Date } {
  const startTime = params.string('StartTime');
  if (startTime) {
    const time = Date.parse(startTime);
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(startTime) ||
      Number.isNaN(time)
    ) {
      throw apiErrors.invalidParameter('StartTime', 'Expected an RFC 3339 time.');
    }
    return { sinceTime: new Date(time) };
  }
  const sinceSeconds = params.integer('SinceSeconds', { min: 1 });
  return sinceSeconds !== undefined ? { sinceSeconds } : {};
}

/** The lines written so far, then the end of the history (no follow). */
async function* history(log: ContainerLog): AsyncGenerator<LogItem> {
  for await (const item of log.read(false, AbortSignal.abort())) yield item;
  yield END_OF_HISTORY;
}
