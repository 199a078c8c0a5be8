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

/** Requests in the audit log made by `username`, by verb (watch streams count once). */
export async function countRequests(logPath: string, username: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const lines = createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes(username)) continue;
    const event = JSON.parse(line) as { user?: { username?: string }; verb?: string; stage?: string };
    if (
      event.user?.username !== username ||
      (event.stage !== 'ResponseComplete' && event.stage !== 'ResponseStarted')
    )
      continue;
    if (event.stage === 'ResponseStarted' && event.verb !== 'watch') continue;
    if (event.stage === 'ResponseComplete' && event.verb === 'watch') continue;
    const verb = event.verb ?? 'unknown';
    counts[verb] = (counts[verb] ?? 0) + 1;
  }
  return counts;
}
