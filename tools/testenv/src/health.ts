// Readiness probes. Each wait ends in one of three ways: the probe passes, the component exits (the
// error carries its exit status and log tail), or the deadline passes (same details). Never a hang.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@vkubelet/provider-kit';
import { describeExit, tailFile, type ManagedProcess } from './process.js';

export interface TlsIdentity {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface ProbeResult {
  readonly status: number;
  readonly body: string;
}

/** One GET with a short timeout. `tls` undefined means plain HTTP; `ca` undefined means "don't verify". */
export function probe(url: string, tls?: TlsIdentity, timeoutMs = 2_000): Promise<ProbeResult> {
  return new Promise((resolveProbe, reject) => {
    const options = tls
      ? {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.ca !== undefined,
          timeout: timeoutMs,
        }
      : { timeout: timeoutMs };
    const req = (tls ? httpsRequest : httpRequest)(url, options, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolveProbe({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export class ComponentStartError extends Error {
  override readonly name = 'ComponentStartError';
  readonly component: string;
  readonly logTail: string;
  // No parameter properties: the sources stay runnable by Node's type stripping (test fixtures use that).
  constructor(component: string, message: string, logTail: string) {
    super(`${component} ${message}\n--- last lines of ${component}'s log ---\n${logTail}`);
    this.component = component;
    this.logTail = logTail;
  }
  /** The component could not bind its port because another process took it after we probed it. */
  get isPortRace(): boolean {
    return /address already in use/i.test(this.logTail);
  }
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/** Polls `check` until it returns true, failing fast if `proc` exits. */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 100, signal }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem: string;
  for (;;) {
    signal?.throwIfAborted();
    const status = proc.exitStatus();
    if (status) {
      throw new ComponentStartError(
        proc.name,
        `${describeExit(status)} before ${what}`,
        tailFile(proc.logPath),
      );
    }
    try {
      if (await check()) return;
      lastProblem = 'probe answered but not ready';
    } catch (error) {
      lastProblem = errorMessage(error);
    }
    if (Date.now() >= deadline) {
      throw new ComponentStartError(
        proc.name,
        `did not become ready (${what}) within ${timeoutMs} ms; last probe: ${lastProblem}`,
        tailFile(proc.logPath),
      );
    }
    await Promise.race([sleep(intervalMs), proc.exited]);
  }
}
