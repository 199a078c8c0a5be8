import { InvalidArgumentError } from 'commander';

import {
  OTLP_PROTOCOLS,
  RESERVED_TRACE_TAGS,
  type BatchConfig,
  type OtlpProtocol,
  type SamplerConfig,
  type TracingConfig,
} from '../tracing/config.js';
import { UsageError } from './usage-error.js';

/** Upstream's exporters, which OTLP replaces, and where to send OTLP instead. */
const REPLACED_EXPORTERS: Record<string, string> = {
  jaeger: "Jaeger's own OTLP port (4318)",
  ocagent: 'an OpenTelemetry Collector (the OpenCensus agent is retired)',
  zpages: 'an OpenTelemetry Collector, whose zpages extension shows live spans',
};

/** `--trace-exporter` (repeatable, as upstream): only `otlp`; upstream's exporters are named with their replacement. */
export function traceExporter(value: string, previous: string[] = []): string[] {
  const name = value.trim().toLowerCase();
  if (name !== 'otlp') {
    const replaced = REPLACED_EXPORTERS[name];
    throw new InvalidArgumentError(
      replaced
        ? `"${name}" is replaced by OTLP: use --trace-exporter otlp with OTEL_EXPORTER_OTLP_ENDPOINT pointing at ${replaced}`
        : `unknown trace exporter "${value}": the only one is otlp (endpoint from OTEL_EXPORTER_OTLP_ENDPOINT)`,
    );
  }
  return previous.includes(name) ? previous : [...previous, name];
}

/** `--trace-tag key=value` (repeatable): a resource attribute on every span; a key once only. */
export function traceTag(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  const key = value.slice(0, eq).trim();
  if (RESERVED_TRACE_TAGS.includes(key)) {
    throw new InvalidArgumentError(`"${key}" is reserved: the agent sets it itself`);
  }
  if (key in previous) throw new InvalidArgumentError(`tag "${key}" is given twice`);
  return { ...previous, [key]: value.slice(eq + 1) };
}

/** `--trace-sample-rate`: `always`, `never` or a percentage (0-100) of new traces, as upstream. */
export function traceSampleRate(value: string): SamplerConfig | false {
  const rate = value.trim().toLowerCase();
  if (rate === '') return false;
  if (rate === 'always') return { type: 'always_on' };
  if (rate === 'never') return { type: 'always_off' };
  const percent = /^\d+(\.\d+)?$/.test(rate) ? Number(rate) : Number.NaN;
  if (!(percent >= 0 && percent <= 100)) {
    throw new InvalidArgumentError(`expected always, never or a percentage from 0 to 100, got "${value}"`);
  }
  // Parent-based, as OpenTelemetry's ratio samplers are: a trace sampled upstream stays whole.
  return { type: 'parentbased', root: { type: 'traceidratio', ratio: percent / 100 } };
}

/** The tracing flags as commander parsed them. */
export interface TraceFlags {
  traceExporter?: string[];
  traceServiceName?: string;
  traceTag?: Record<string, string>;
  traceSampleRate?: SamplerConfig | false;
}

type Env = NodeJS.ProcessEnv;

/** The first of the variables that is set (not empty), with its name. */
function firstSet(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** A per-signal variable (`OTEL_EXPORTER_OTLP_TRACES_X`) before the general one (`OTEL_EXPORTER_OTLP_X`). */
const otlp = (env: Env, suffix: string) =>
  firstSet(env, `OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`);

function isTrue(env: Env, name: string): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (!value) return false;
  if (value !== 'true' && value !== 'false')
    throw new UsageError(`$${name} must be true or false, got "${env[name]}"`);
  return value === 'true';
}

/** `OTEL_TRACES_EXPORTER`: `otlp` turns tracing on, `none` leaves it off; upstream's others are refused. */
function exporterFromEnv(env: Env): boolean {
  const set = firstSet(env, 'OTEL_TRACES_EXPORTER');
  if (!set) return false;
  const names = set.value.split(',').map(name => name.trim().toLowerCase());
  for (const name of names) {
    if (name !== 'otlp' && name !== 'none') {
      throw new UsageError(
        `$OTEL_TRACES_EXPORTER: "${name}" is not supported; use otlp (or none), with OTEL_EXPORTER_OTLP_ENDPOINT`,
      );
    }
  }
  return names.includes('otlp');
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`; the OpenTelemetry default is parentbased_always_on. */
function samplerFromEnv(env: Env): SamplerConfig {
  const name = (firstSet(env, 'OTEL_TRACES_SAMPLER')?.value ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    throw new UsageError(`$OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got "${name}"`);
  }
  const arg = firstSet(env, 'OTEL_TRACES_SAMPLER_ARG');
  let ratio = 1;
  if (name.endsWith('traceidratio') && arg) {
    ratio = /^\d*\.?\d+$/.test(arg.value) ? Number(arg.value) : Number.NaN;
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new UsageError(`$OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "${arg.value}"`);
    }
  }
  const base = name.replace(/^parentbased_/, '');
  const root: { type: 'always_on' | 'always_off' } | { type: 'traceidratio'; ratio: number } =
    base === 'traceidratio' ? { type: 'traceidratio', ratio } : { type: base as 'always_on' | 'always_off' };
  return name.startsWith('parentbased_') ? { type: 'parentbased', root } : root;
}

/** Comma-separated `key=value` pairs with percent-encoded values (OTLP headers, resource attributes). */
function checkPairs(name: string, value: string): void {
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0 || pair.slice(0, eq).trim() === '') {
      throw new UsageError(`$${name}: expected key=value pairs separated by commas, got "${pair.trim()}"`);
    }
    try {
      decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw new UsageError(
        `$${name}: the value of "${pair.slice(0, eq).trim()}" is not percent-encoded properly`,
      );
    }
  }
}

function nonNegativeInt(
  set: { name: string; value: string } | undefined,
  positive = false,
): number | undefined {
  if (!set) return undefined;
  const n = /^\d+$/.test(set.value) ? Number(set.value) : Number.NaN;
  if (!Number.isSafeInteger(n) || (positive && n === 0)) {
    throw new UsageError(
      `$${set.name} must be a ${positive ? 'positive' : 'non-negative'} integer, got "${set.value}"`,
    );
  }
  return n;
}

/** The `OTEL_EXPORTER_OTLP_*` variables the exporter will read, checked so that a bad one is exit code 2. */
function checkExporterEnv(env: Env, protocol: OtlpProtocol): void {
  const endpoint = otlp(env, 'ENDPOINT');
  if (endpoint) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint.value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`$${endpoint.name} must be an http:// or https:// URL, got "${endpoint.value}"`);
    }
  }
  const headers = otlp(env, 'HEADERS');
  if (headers) checkPairs(headers.name, headers.value);
  nonNegativeInt(otlp(env, 'TIMEOUT'), true);
  const compression = otlp(env, 'COMPRESSION');
  if (compression && !['gzip', 'none'].includes(compression.value.toLowerCase())) {
    throw new UsageError(`$${compression.name} must be gzip or none, got "${compression.value}"`);
  }
  if (protocol === 'grpc') {
    isTrue(env, 'OTEL_EXPORTER_OTLP_TRACES_INSECURE');
    isTrue(env, 'OTEL_EXPORTER_OTLP_INSECURE');
  }
}

/** The certificate files `OTEL_EXPORTER_OTLP_*` names, for the command to read before it starts. */
export function otlpCertificateFiles(env: Env): { variable: string; path: string }[] {
  return ['CERTIFICATE', 'CLIENT_CERTIFICATE', 'CLIENT_KEY'].flatMap(suffix => {
    const set = otlp(env, suffix);
    return set ? [{ variable: `$${set.name}`, path: set.value }] : [];
  });
}

function batchFromEnv(env: Env): BatchConfig {
  const batch: BatchConfig = {
    scheduledDelayMillis: nonNegativeInt(firstSet(env, 'OTEL_BSP_SCHEDULE_DELAY')),
    exportTimeoutMillis: nonNegativeInt(firstSet(env, 'OTEL_BSP_EXPORT_TIMEOUT'), true),
    maxQueueSize: nonNegativeInt(firstSet(env, 'OTEL_BSP_MAX_QUEUE_SIZE'), true),
    maxExportBatchSize: nonNegativeInt(firstSet(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'), true),
  };
  const queue = batch.maxQueueSize ?? 2048;
  if (batch.maxExportBatchSize !== undefined && batch.maxExportBatchSize > queue) {
    throw new UsageError(
      `$OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${batch.maxExportBatchSize}) must not exceed the queue size (${queue})`,
    );
  }
  return Object.fromEntries(Object.entries(batch).filter(([, v]) => v !== undefined));
}

/**
 * The tracing configuration from the `--trace-*` flags and the standard OpenTelemetry variables, or
 * undefined when tracing is off: no `--trace-exporter` and no `OTEL_TRACES_EXPORTER=otlp`, or
 * `OTEL_SDK_DISABLED=true`. Flags win over variables. A bad value is a UsageError naming it.
 */
export function tracingConfig(flags: TraceFlags, env: Env): TracingConfig | undefined {
  const disabled = isTrue(env, 'OTEL_SDK_DISABLED');
  const fromEnv = exporterFromEnv(env);
  if (disabled || !(flags.traceExporter?.length || fromEnv)) return undefined;
  const protocolSet = otlp(env, 'PROTOCOL');
  const protocol = (protocolSet?.value ?? 'http/protobuf') as OtlpProtocol;
  if (!OTLP_PROTOCOLS.includes(protocol)) {
    throw new UsageError(
      `$${protocolSet!.name} must be one of ${OTLP_PROTOCOLS.join(', ')}, got "${protocolSet!.value}"`,
    );
  }
  checkExporterEnv(env, protocol);
  const resourceAttributes = firstSet(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (resourceAttributes) checkPairs(resourceAttributes.name, resourceAttributes.value);
  const sampler = flags.traceSampleRate || samplerFromEnv(env);
  return {
    serviceName: flags.traceServiceName || firstSet(env, 'OTEL_SERVICE_NAME')?.value || 'virtual-kubelet',
    tags: flags.traceTag ?? {},
    sampler,
    protocol,
    batch: batchFromEnv(env),
  };
}
