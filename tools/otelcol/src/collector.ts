// A collector per test: OTLP over gRPC and HTTP on free loopback ports, every span received written
// to a file in a temp directory, which `spans()` reads back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort, probe, startProcess, startWatchdog, waitUntilReady } from '@vkubelet/testenv';

import { collectorBinary } from './binary.js';
import { parseSpans, type ReceivedSpan } from './spans.js';

export interface CollectorOptions {
  /** Used in the temp directory's name. */
  name?: string;
  /** Readiness budget (default 30 s). */
  readyTimeoutMs?: number;
}

export interface Collector {
  /** `http://127.0.0.1:<port>`: OTLP/HTTP, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly httpEndpoint: string;
  /** `127.0.0.1:<port>`: OTLP/gRPC, for the API server's TracingConfiguration. */
  readonly grpcEndpoint: string;
  /** Temp dir: config, spans file, log. */
  readonly dir: string;
  /** The spans received so far. */
  spans(): ReceivedSpan[];
  /** How many spans were received so far, without parsing them (for large runs). */
  spanCount(): number;
  /** Waits until `done(spans)` holds (checked every 200 ms) and returns the spans then; rejects after `timeoutMs`. */
  waitForSpans(done: (spans: ReceivedSpan[]) => boolean, timeoutMs: number): Promise<ReceivedSpan[]>;
  /** The collector's log (for test failures). */
  log(): string;
  stop(): Promise<void>;
}

function configYaml(grpcPort: number, httpPort: number, spansPath: string): string {
  // JSON is YAML. No own metrics endpoint (its fixed port 8888 would collide between tests).
  return JSON.stringify({
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${grpcPort}` },
          http: { endpoint: `127.0.0.1:${httpPort}` },
        },
      },
    },
    exporters: { file: { path: spansPath, flush_interval: '100ms' } },
    service: {
      telemetry: { logs: { level: 'warn' }, metrics: { level: 'none' } },
      pipelines: { traces: { receivers: ['otlp'], exporters: ['file'] } },
    },
  });
}

/** Starts the collector built by collector/build.sh and waits until it accepts OTLP. */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const binary = collectorBinary();
  const dir = mkdtempSync(join(tmpdir(), `vkubelet-otelcol-${options.name ?? 'test'}-`));
  const spansPath = join(dir, 'spans.jsonl');
  const configPath = join(dir, 'config.yaml');
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  writeFileSync(configPath, configYaml(grpcPort, httpPort, spansPath));
  writeFileSync(spansPath, '');
  const watchdog = startWatchdog(join(dir, 'pids'), [dir]);
  const proc = startProcess('otelcol', binary, ['--config', configPath], join(dir, 'otelcol.log'));
  watchdog.setGroups([proc.pid]);
  const httpEndpoint = `http://127.0.0.1:${httpPort}`;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await proc.stop(2_000);
      watchdog.dispose();
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    // The HTTP receiver answers any GET (405); both receivers start together.
    await waitUntilReady(
      proc,
      `GET ${httpEndpoint}/v1/traces`,
      async () => (await probe(`${httpEndpoint}/v1/traces`)).status > 0,
      {
        timeoutMs: options.readyTimeoutMs ?? 30_000,
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const spans = (): ReceivedSpan[] => parseSpans(readFileSync(spansPath, 'utf8'));
  return {
    httpEndpoint,
    grpcEndpoint: `127.0.0.1:${grpcPort}`,
    dir,
    spans,
    spanCount: () => readFileSync(spansPath, 'utf8').split('"startTimeUnixNano":').length - 1,
    async waitForSpans(done, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const received = spans();
        if (done(received)) return received;
        if (Date.now() >= deadline) {
          throw new Error(
            `the collector did not receive the expected spans within ${timeoutMs} ms (${received.length} received)`,
          );
        }
        await sleep(200);
      }
    },
    log: () => {
      try {
        return readFileSync(join(dir, 'otelcol.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
}
