import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '@vkubelet/provider-kit';

import type { Identity } from '../acl.js';
import type { Cluster } from '../cluster.js';
import { parseGoDuration } from './duration.js';
import { HttpError, permissionDenied } from './errors.js';
import { compileFilter } from './filter.js';

/** The agent's identity, as `/v1/agent/self` and defaults for requests report it. */
export interface AgentInfo {
  region: string;
  datacenter: string;
  name: string;
  aclEnabled: boolean;
  knownLeader(): boolean;
  leaderAddress: string;
}

/** One request as a handler sees it. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: Record<string, string>;
  readonly identity: Identity;
  /** `?namespace=`, else `default`. */
  readonly namespace: string;
  readonly cluster: Cluster;
  readonly agent: AgentInfo;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

/** A JSON answer; `index` makes it a query answer (X-Nomad-Index and the leader headers). */
export interface Reply {
  status?: number;
  body: unknown;
  index?: number;
  headers?: Record<string, string>;
}

const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;

export function query(ctx: RequestContext, name: string): string | undefined {
  return ctx.url.searchParams.get(name) ?? undefined;
}

export function booleanParam(ctx: RequestContext, name: string, fallback = false): boolean {
  const value = query(ctx, name);
  if (value === undefined) return fallback;
  if (value === '') return true;
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(value)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(value)) return false;
  throw new HttpError(400, `Failed to parse value of "${name}" (${value}) as a bool`);
}

/** Refuses the request with 403 Permission denied unless the token's rules allow it. */
export function ensure(allowed: boolean): void {
  if (!allowed) throw permissionDenied();
}

export async function readJson(ctx: RequestContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `Failed to decode request body: ${errorMessage(err)}`);
  }
}

/**
 * A blocking query: with `?index=N` the answer waits until what `compute` reads has an index above N,
 * or until `?wait=` (default 5 minutes, at most 10) plus Nomad's jitter of up to wait/16 has passed.
 */
export async function blocking(ctx: RequestContext, compute: () => Reply): Promise<Reply> {
  const minIndex = Number(query(ctx, 'index') ?? 0);
  if (!Number.isInteger(minIndex) || minIndex < 0) throw new HttpError(400, 'Invalid index');
  const waitText = query(ctx, 'wait');
  let waitMs = DEFAULT_WAIT_MS;
  if (waitText !== undefined) {
    const parsed = parseGoDuration(waitText);
    if (parsed === undefined) throw new HttpError(400, 'Invalid wait time');
    waitMs = Math.min(parsed, MAX_WAIT_MS);
  }
  if (minIndex === 0) return compute();
  const deadline = Date.now() + waitMs + Math.random() * (waitMs / 16);
  for (;;) {
    const reply = compute();
    if ((reply.index ?? 0) > minIndex || Date.now() >= deadline || ctx.signal.aborted) return reply;
    await ctx.cluster.store.nextWrite(deadline - Date.now(), ctx.signal);
  }
}

/** `?prefix=`, `?filter=`, `?per_page=` and `?next_token=` applied to a list sorted by `key`. */
export function listQuery<T>(
  ctx: RequestContext,
  items: T[],
  key: (item: T) => string,
  filterOn?: (item: T) => unknown,
): {
  items: T[];
  /** X-Nomad-NextToken when a page was cut. */
  headers: Record<string, string>;
} {
  const filterText = query(ctx, 'filter');
  const filter = filterText ? compileFilter(filterText) : undefined;
  let result = items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (filter) result = result.filter(item => filter(filterOn ? filterOn(item) : item));
  const nextToken = query(ctx, 'next_token');
  if (nextToken) result = result.filter(item => key(item) >= nextToken);
  const perPage = Number(query(ctx, 'per_page') ?? 0);
  if (perPage > 0 && result.length > perPage) {
    return { items: result.slice(0, perPage), headers: { 'X-Nomad-NextToken': key(result[perPage]!) } };
  }
  return { items: result, headers: {} };
}
