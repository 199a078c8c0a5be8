import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/**
 * API server audit logging at Metadata level for every request, so requests can be counted per user
 * afterwards. This counts what any agent implementation sends, without instrumenting it.
 */
export function auditFlags(dir: string): { flags: string[]; logPath: string } {
  const policy = join(dir, 'audit-policy.yaml');
  writeFileSync(
    policy,
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n  - level: Metadata\n',
  );
  const logPath = join(dir, 'audit.log');
  return {
    flags: [
      `--audit-policy-file=${policy}`,
      `--audit-log-path=${logPath}`,
      '--audit-log-mode=batch',
      '--audit-log-batch-max-wait=1s',
      '--audit-log-maxsize=0',
    ],
    logPath,
  };
}

/** Requests by `verb resource[/subresource]`, e.g. `patch pods/status`. */
export type RequestCounts = Record<string, number>;

/** A stretch of time (epoch ms, inclusive start, exclusive end) to count requests in. */
export interface TimeWindow {
  from: number;
  to: number;
}

interface AuditEvent {
  user?: { username?: string };
  verb?: string;
  stage?: string;
  requestReceivedTimestamp?: string;
  objectRef?: { resource?: string; subresource?: string };
}

/**
 * Requests in the audit log made by `username` (watch streams count once), in all and within each
 * named window (by the time the API server received them).
 */
export async function countRequests<W extends string>(
  logPath: string,
  username: string,
  windows: Partial<Record<W, TimeWindow>> = {},
): Promise<{ total: RequestCounts; windows: Record<W, RequestCounts> }> {
  const total: RequestCounts = {};
  const inWindows = Object.fromEntries(Object.keys(windows).map(name => [name, {}])) as Record<
    W,
    RequestCounts
  >;
  const spans = Object.entries(windows) as [W, TimeWindow][];
  const lines = createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes(username)) continue;
    const event = JSON.parse(line) as AuditEvent;
    if (
      event.user?.username !== username ||
      (event.stage !== 'ResponseComplete' && event.stage !== 'ResponseStarted')
    )
      continue;
    if (event.stage === 'ResponseStarted' && event.verb !== 'watch') continue;
    if (event.stage === 'ResponseComplete' && event.verb === 'watch') continue;
    const resource = event.objectRef?.resource ?? 'nonresource';
    const key = `${event.verb ?? 'unknown'} ${resource}${event.objectRef?.subresource ? `/${event.objectRef.subresource}` : ''}`;
    total[key] = (total[key] ?? 0) + 1;
    if (spans.length === 0) continue;
    const at = Date.parse(event.requestReceivedTimestamp ?? '');
    for (const [name, span] of spans) {
      const counts: RequestCounts = inWindows[name];
      if (at >= span.from && at < span.to) counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return { total, windows: inWindows };
}

export function sumCounts(counts: RequestCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** `a + b` key by key. */
export function addCounts(a: RequestCounts, b: RequestCounts): RequestCounts {
  const sum = { ...a };
  for (const [key, n] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + n;
  return sum;
}

/**
 * Requests per pod lifecycle: the create phase's requests over the pods that became Running, plus
 * the delete phase's over the pods that went away, so an agent that fell behind is divided by what
 * it did.
 */
export function requestsPerPod(
  createPhase: RequestCounts,
  deletePhase: RequestCounts,
  running: number,
  gone: number,
): number {
  return sumCounts(createPhase) / running + sumCounts(deletePhase) / gone;
}
