import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { writeWithBackpressure } from '@vkubelet/provider-kit/mock';

import { nowNanos } from '../../api/types.js';
import type { AllocRunner } from '../../client/alloc-runner.js';
import { TaskLogs, type LogType } from '../../client/task-logs.js';
import { booleanParam, query, type Reply, type RequestContext } from '../context.js';
import { HttpError } from '../errors.js';
import type { Route } from '../router.js';
import { pathAllocation } from './allocations.js';

/** Nomad's framer: at most 64 KiB a frame, data batched for 200 ms, a heartbeat after 1 s of quiet. */
const FRAME_SIZE = 64 * 1024;
const BATCH_WINDOW_MS = 200;
const HEARTBEAT_MS = 1000;

export function allocRunner(ctx: RequestContext, capability: string): AllocRunner {
  const alloc = pathAllocation(ctx, capability);
  const runner = ctx.cluster.runners.get(alloc.ID);
  if (!runner) throw new HttpError(404, `Unknown allocation "${alloc.ID}"`);
  return runner;
}

/**
 * Writes a file's bytes as Nomad's stream frames (api.StreamFrame, JSON objects back to back):
 * `{"Offset":<end offset>,"Data":"<base64>","File":"alloc/logs/web.stdout.0"}`, and `{}` heartbeats
 * while a followed file is quiet.
 */
class FrameWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private lastWrite = Date.now();

  constructor(
    private readonly res: ServerResponse,
    private readonly file: string,
    private offset: number,
    private readonly signal: AbortSignal,
    follow: boolean,
  ) {
    if (follow) {
      this.heartbeat = setInterval(() => {
        if (Date.now() - this.lastWrite >= HEARTBEAT_MS && this.pendingBytes === 0) void this.write('{}');
      }, HEARTBEAT_MS);
    }
  }

  async push(chunk: Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FRAME_SIZE) await this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush().catch(() => undefined), BATCH_WINDOW_MS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    for (let start = 0; start < data.length; start += FRAME_SIZE) {
      const slice = data.subarray(start, start + FRAME_SIZE);
      this.offset += slice.length;
      await this.write(
        JSON.stringify({ Offset: this.offset, Data: slice.toString('base64'), File: this.file }),
      );
    }
  }

  private async write(text: string): Promise<void> {
    this.lastWrite = Date.now();
    await writeWithBackpressure(this.res, text, this.signal).catch(() => undefined);
  }

  close(): void {
    clearTimeout(this.flushTimer);
    clearInterval(this.heartbeat);
  }
}

function logType(ctx: RequestContext): LogType {
  const type = query(ctx, 'type');
  if (type !== 'stdout' && type !== 'stderr')
    throw new HttpError(400, 'Must provide log type (stdout or stderr)');
  return type;
}

/** `GET /v1/client/fs/logs/<alloc>`: a task's stdout or stderr, framed (or raw with `plain=true`). */
async function logs(ctx: RequestContext): Promise<undefined> {
  const runner = allocRunner(ctx, 'read-logs');
  const task = query(ctx, 'task');
  if (!task) throw new HttpError(400, 'Must provide task name');
  const type = logType(ctx);
  const origin = query(ctx, 'origin') ?? 'start';
  if (origin !== 'start' && origin !== 'end') throw new HttpError(400, 'Origin must be start or end');
  const offset = Number(query(ctx, 'offset') ?? 0);
  if (!Number.isInteger(offset) || offset < 0)
    throw new HttpError(400, 'Offset must be a non-negative integer');
  const follow = booleanParam(ctx, 'follow');
  const plain = booleanParam(ctx, 'plain');
  const taskLogs = runner.logs.get(task);
  if (!taskLogs) throw new HttpError(400, `unknown task name "${task}"`);
  if (!taskLogs.started) throw new HttpError(404, `task "${task}" not started yet. No logs available`);
  const start = origin === 'end' ? Math.max(0, (await taskLogs.size(type, ctx.signal)) - offset) : offset;

  ctx.res.writeHead(200, { 'Content-Type': plain ? 'text/plain; charset=utf-8' : 'application/json' });
  ctx.res.flushHeaders();
  const frames = plain
    ? undefined
    : new FrameWriter(ctx.res, TaskLogs.fileName(task, type), start, ctx.signal, follow);
  try {
    for await (const chunk of taskLogs.read(type, start, follow, ctx.signal)) {
      if (frames) await frames.push(chunk);
      else await writeWithBackpressure(ctx.res, chunk.toString('utf8'), ctx.signal);
    }
    await frames?.flush();
  } catch {
    // The client went away mid-stream.
  } finally {
    frames?.close();
    ctx.res.end();
  }
  return undefined;
}

/** api.ResourceUsage from a memory size and a CPU load (the process model has no real usage). */
function resourceUsage(rss: number, percent: number, totalTicks: number): Record<string, unknown> {
  return {
    MemoryStats: {
      RSS: rss,
      Cache: 0,
      Swap: 0,
      Usage: rss,
      MaxUsage: rss,
      KernelUsage: 0,
      KernelMaxUsage: 0,
      Measured: ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage'],
    },
    CpuStats: {
      SystemMode: percent / 4,
      UserMode: (percent * 3) / 4,
      TotalTicks: totalTicks,
      ThrottledPeriods: 0,
      ThrottledTime: 0,
      Percent: percent,
      Measured: ['Throttled Periods', 'Throttled Time', 'Percent'],
    },
    DeviceStats: [],
  };
}

/**
 * `GET /v1/client/allocation/<id>/stats` (api.AllocResourceUsage): per running task a memory size and
 * CPU load derived from the task's identity, CPU ticks growing with its uptime, and their sum.
 */
async function stats(ctx: RequestContext): Promise<Reply> {
  const runner = allocRunner(ctx, 'read-job');
  const timestamp = nowNanos();
  const tasks: Record<string, unknown> = {};
  const total = { rss: 0, percent: 0, ticks: 0 };
  for (const name of runner.logs.keys()) {
    const startedAt = runner.running(name)?.state.running?.startedAt;
    if (!startedAt) continue;
    const hash = createHash('sha256').update(`${runner.alloc.ID}/${name}`).digest().readUInt32BE(0);
    const rss = (8 + (hash % 64)) * 1024 * 1024;
    const percent = 0.1 + (hash % 50) / 10;
    const ticks = percent * 20 * Math.max(0, (Date.now() - new Date(startedAt).getTime()) / 1000);
    total.rss += rss;
    total.percent += percent;
    total.ticks += ticks;
    tasks[name] = { ResourceUsage: resourceUsage(rss, percent, ticks), Timestamp: timestamp, Pids: null };
  }
  return {
    body: {
      ResourceUsage: resourceUsage(total.rss, total.percent, total.ticks),
      Tasks: tasks,
      Timestamp: timestamp,
    },
  };
}

export const clientRoutes: Route[] = [
  { methods: ['GET'], path: '/v1/client/fs/logs/:id', handler: logs, scope: 'client' },
  { methods: ['GET'], path: '/v1/client/allocation/:id/stats', handler: stats, scope: 'client' },
];
