import { formatRfc3339Nano, type LogEntry } from '@vkubelet/provider-kit';

import { ArmError, invalidRequestContent } from '../http/arm-error.js';
import type { ArmCall, ArmReply, Route } from '../http/router.js';
import type { StoredGroup } from '../state.js';
import { GROUPS_PATH, type ArmContext } from './context.js';

/** ACI returns at most 4 MB of a log. */
const MAX_LOG_BYTES = 4 * 1024 * 1024;

function containerOf(ctx: ArmContext, call: ArmCall): { stored: StoredGroup; container: string } {
  const stored = ctx.state.group(call.params['resourceGroup']!, call.params['name']!);
  const container = call.params['container']!;
  if (!stored.record.containerNames().includes(container)) {
    throw new ArmError(
      404,
      'ContainerNotFound',
      `The container '${container}' could not be found in container group '${stored.record.name}'.`,
    );
  }
  return { stored, container };
}

function integerParameter(call: ArmCall, name: string): number | undefined {
  const text = call.url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${text}' of query parameter '${name}' is not a valid int32.`,
    );
  }
  return value;
}

async function logs(ctx: ArmContext, call: ArmCall): Promise<ArmReply> {
  const { stored, container } = containerOf(ctx, call);
  const tail = integerParameter(call, 'tail');
  const timestamps = call.url.searchParams.get('timestamps')?.toLowerCase() === 'true';
  const entries: LogEntry[] = [];
  const log = stored.record.currentLog(container);
  if (log) {
    for await (const item of log.read(false, AbortSignal.timeout(10_000))) {
      if (typeof item === 'object') entries.push(item);
    }
  }
  const lines = (tail === undefined ? entries : entries.slice(Math.max(0, entries.length - tail))).map(
    entry => `${timestamps ? `${formatRfc3339Nano(entry.time)} ` : ''}${entry.text}\n`,
  );
  let bytes = 0;
  let first = lines.length;
  while (first > 0 && bytes + Buffer.byteLength(lines[first - 1]!) <= MAX_LOG_BYTES)
    bytes += Buffer.byteLength(lines[--first]!);
  return { status: 200, body: { content: lines.slice(first).join('') }, model: 'Logs' };
}

function terminalSize(body: Record<string, unknown>): { rows: number; cols: number } {
  const size = (body['terminalSize'] ?? {}) as { rows?: number; cols?: number };
  return { rows: size.rows ?? 24, cols: size.cols ?? 80 };
}

function exec(ctx: ArmContext, call: ArmCall): ArmReply {
  const { stored, container } = containerOf(ctx, call);
  const body = (call.body ?? {}) as Record<string, unknown>;
  const violation = ctx.definition
    .check('ContainerExecRequest', body, 'request')
    .find(v => v.kind === 'wrong-type');
  if (violation)
    throw invalidRequestContent(`Error converting value at path '${violation.path}': ${violation.message}`);
  const command = body['command'];
  if (typeof command !== 'string' || command.trim() === '') {
    throw new ArmError(400, 'InvalidExecCommand', 'The exec command must not be empty.');
  }
  const session = ctx.streams.create('exec', {
    resourceGroup: stored.record.resourceGroup,
    group: stored.record.name,
    container,
    command,
    ...terminalSize(body),
  });
  return {
    status: 200,
    body: { webSocketUri: ctx.streams.uri(ctx.armEndpoint(), session), password: session.password },
    model: 'ContainerExecResponse',
  };
}

function attach(ctx: ArmContext, call: ArmCall): ArmReply {
  const { stored, container } = containerOf(ctx, call);
  const session = ctx.streams.create('attach', {
    resourceGroup: stored.record.resourceGroup,
    group: stored.record.name,
    container,
    command: '',
    rows: 0,
    cols: 0,
  });
  return {
    status: 200,
    body: { webSocketUri: ctx.streams.uri(ctx.armEndpoint(), session), password: session.password },
    model: 'ContainerAttachResponse',
  };
}

/** A container's logs, exec and attach. */
export function containerRoutes(ctx: ArmContext): Route[] {
  const container = `${GROUPS_PATH}/(?<name>[^/]+)/containers/(?<container>[^/]+)`;
  return [
    { pattern: new RegExp(`${container}/logs$`, 'i'), methods: { GET: call => logs(ctx, call) } },
    {
      pattern: new RegExp(`${container}/exec$`, 'i'),
      requestModels: { POST: 'ContainerExecRequest' },
      methods: { POST: call => exec(ctx, call) },
    },
    { pattern: new RegExp(`${container}/attach$`, 'i'), methods: { POST: call => attach(ctx, call) } },
  ];
}
