import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@vkubelet/provider-kit';

/** How moto moves a model (e.g. `ecs::task`) through its states; see moto's state-manager docs. */
export type MotoTransition =
  | { progression: 'immediate' }
  | { progression: 'manual'; times: number }
  | { progression: 'time'; seconds: number };

export interface MotoOptions {
  /** moto_server executable; default `$MOTO_SERVER`, else the venv made by tools/scripts/setup.d/moto.sh. */
  executable?: string;
  /** How long to wait for the server to answer; default 30 s (a cold Python start takes a few seconds). */
  readyTimeoutMs?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for an AWS SDK client's `endpoint`. */
  endpoint: string;
  port: number;
  /** Credentials moto accepts (it checks none); pass them so the SDK does not search the machine's chain. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Set how a moto model advances (moto's ECS tasks stop on their own after a few DescribeTasks by default). */
  setTransition(modelName: string, transition: MotoTransition): Promise<void>;
  /**
   * IDs of the default VPC's subnets moto creates in `region` (awsvpc tasks need a real subnet there),
   * read with EC2 DescribeSubnets so tests need no EC2 SDK.
   */
  defaultSubnets(region: string): Promise<string[]>;
  /** Creates a CloudWatch Logs group in `region` (what a Fargate task's awslogs driver writes to). */
  createLogGroup(region: string, name: string): Promise<void>;
  /** Forget every resource (moto's `/moto-api/reset`). */
  reset(): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The moto_server that setup.d/moto.sh installs, unless MOTO_SERVER names another. */
export function defaultMotoExecutable(): string {
  if (process.env['MOTO_SERVER']) return process.env['MOTO_SERVER'];
  const cache = process.env['VKUBELET_CACHE'] ?? join(homedir(), '.cache', 'vkubelet');
  return join(cache, 'venv-moto', 'bin', 'moto_server');
}

/** True when moto_server is installed (tests use it to report a clear reason rather than a spawn error). */
export async function isMotoInstalled(executable = defaultMotoExecutable()): Promise<boolean> {
  try {
    await access(executable, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`moto ${url} answered ${response.status}: ${await response.text()}`);
}

/**
 * Starts moto server on 127.0.0.1 on a free port and waits until it answers. moto keeps all state in
 * memory, so every call gets a fresh, empty AWS account.
 */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const executable = options.executable ?? defaultMotoExecutable();
  if (!(await isMotoInstalled(executable))) {
    throw new Error(
      `moto is not installed (no executable ${executable}); run tools/scripts/setup.d/moto.sh ` +
        'or set MOTO_SERVER to a moto_server binary',
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));

  try {
    await waitUntilReady(endpoint, child, exited, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`moto server did not start: ${errorMessage(err)}\n${stderr}`, { cause: err });
  }

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    endpoint,
    port,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    setTransition: (modelName, transition) =>
      postJson(`${endpoint}/moto-api/state-manager/set-transition`, { model_name: modelName, transition }),
    defaultSubnets: region => defaultSubnets(endpoint, region),
    createLogGroup: (region, name) => createLogGroup(endpoint, region, name),
    reset: () => postJson(`${endpoint}/moto-api/reset`, {}),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let exitCode: number | null | undefined;
  void exited.then(code => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined || child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${String(exitCode ?? child.exitCode)}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`no answer from ${endpoint} within ${timeoutMs} ms (last error: ${String(lastError)})`);
}

/** A SigV4-shaped header; moto checks no signature but takes the region from the credential scope. */
function fakeAuthorization(region: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function defaultSubnets(endpoint: string, region: string): Promise<string[]> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: fakeAuthorization(region, 'ec2'),
    },
    body: new URLSearchParams({
      Action: 'DescribeSubnets',
      Version: '2016-11-15',
      'Filter.1.Name': 'default-for-az',
      'Filter.1.Value.1': 'true',
    }),
  });
  const xml = await response.text();
  if (!response.ok) throw new Error(`moto DescribeSubnets answered ${response.status}: ${xml}`);
  return [...xml.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map(match => match[1] ?? '');
}

async function createLogGroup(endpoint: string, region: string, name: string): Promise<void> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'Logs_20140328.CreateLogGroup',
      authorization: fakeAuthorization(region, 'logs'),
    },
    body: JSON.stringify({ logGroupName: name }),
  });
  if (!response.ok)
    throw new Error(`moto CreateLogGroup answered ${response.status}: ${await response.text()}`);
  await response.body?.cancel();
}
