import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';

import { parseCommandLine, UsageError } from '../../../src/cli/flags.js';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  parseCommandLine(['--provider', 'mock', ...args], { KUBECONFIG: '/tmp/kc', ...env });

/** The one-line message of a flag or variable the command refuses (exit code 2). */
function refusal(args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parse(args, env);
  } catch (err) {
    if (err instanceof CommanderError || err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
}

describe('tracing flags and variables', () => {
  it('leaves tracing off without --trace-exporter or OTEL_TRACES_EXPORTER=otlp', () => {
    expect(parse([]).tracing).toBeUndefined();
    expect(parse(['--trace-sample-rate', '50']).tracing).toBeUndefined();
    expect(parse([], { OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
    expect(parse(['--trace-exporter', 'otlp'], { OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
  });

  it('turns on with --trace-exporter otlp: OpenTelemetry defaults, upstream service name', () => {
    expect(parse(['--trace-exporter', 'otlp']).tracing).toEqual({
      serviceName: 'virtual-kubelet',
      tags: {},
      sampler: { type: 'parentbased', root: { type: 'always_on' } },
      protocol: 'http/protobuf',
      batch: {},
    });
    expect(parse([], { OTEL_TRACES_EXPORTER: 'otlp' }).tracing?.protocol).toBe('http/protobuf');
  });

  it('takes upstream flags, the flags winning over the variables', () => {
    const tracing = parse(
      [
        ...['--trace-exporter', 'otlp', '--trace-service-name', 'vk-east'],
        ...['--trace-tag', 'team=infra', '--trace-tag', 'cluster=a=b', '--trace-sample-rate', '25'],
      ],
      {
        OTEL_SERVICE_NAME: 'ignored',
        OTEL_TRACES_SAMPLER: 'always_off',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      },
    ).tracing;
    expect(tracing).toMatchObject({
      serviceName: 'vk-east',
      tags: { team: 'infra', cluster: 'a=b' },
      sampler: { type: 'parentbased', root: { type: 'traceidratio', ratio: 0.25 } },
      protocol: 'grpc',
    });
    expect(parse(['--trace-exporter', 'otlp', '--trace-sample-rate', 'always']).tracing?.sampler).toEqual({
      type: 'always_on',
    });
    expect(parse(['--trace-exporter', 'otlp', '--trace-sample-rate', 'never']).tracing?.sampler).toEqual({
      type: 'always_off',
    });
  });

  it('reads the standard variables: sampler, service name, per-signal protocol, batch settings', () => {
    const tracing = parse(['--trace-exporter', 'otlp'], {
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
    }).tracing;
    expect(tracing).toMatchObject({
      serviceName: 'from-env',
      sampler: { type: 'parentbased', root: { type: 'traceidratio', ratio: 0.1 } },
      protocol: 'http/json',
      batch: { scheduledDelayMillis: 200, maxQueueSize: 4096 },
    });
  });

  it("refuses upstream's exporters with what replaces them", () => {
    expect(refusal(['--trace-exporter', 'jaeger'])).toMatch(
      /"jaeger" is replaced by OTLP: use --trace-exporter otlp with OTEL_EXPORTER_OTLP_ENDPOINT pointing at Jaeger's own OTLP port/,
    );
    expect(refusal(['--trace-exporter', 'ocagent'])).toMatch(/"ocagent" is replaced by OTLP/);
    expect(refusal(['--trace-exporter', 'zpages'])).toMatch(/"zpages" is replaced by OTLP.*zpages extension/);
    expect(refusal(['--trace-exporter', 'zipkin'])).toMatch(
      /unknown trace exporter "zipkin": the only one is otlp/,
    );
  });

  it.each([
    [['--trace-tag', 'nodeName=x'], {}, /"nodeName" is reserved/],
    [['--trace-tag', 'k8s.node.name=x'], {}, /"k8s.node.name" is reserved/],
    [['--trace-tag', 'a=1', '--trace-tag', 'a=2'], {}, /tag "a" is given twice/],
    [['--trace-tag', 'novalue'], {}, /expected key=value/],
    [['--trace-sample-rate', '101'], {}, /percentage from 0 to 100, got "101"/],
    [['--trace-sample-rate', 'half'], {}, /got "half"/],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_TRACES_SAMPLER: 'jaeger_remote' },
      /\$OTEL_TRACES_SAMPLER must be one of/,
    ],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
      /ratio from 0 to 1, got "2"/,
    ],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      /must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' },
      /\$OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be one of/,
    ],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_EXPORTER_OTLP_HEADERS: 'api-key' },
      /\$OTEL_EXPORTER_OTLP_HEADERS: expected key=value/,
    ],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' },
      /\$OTEL_EXPORTER_OTLP_TIMEOUT must be a positive integer/,
    ],
    [['--trace-exporter', 'otlp'], { OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, /must be gzip or none/],
    [['--trace-exporter', 'otlp'], { OTEL_RESOURCE_ATTRIBUTES: 'team=%zz' }, /not percent-encoded properly/],
    [
      ['--trace-exporter', 'otlp'],
      { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5000' },
      /must not exceed the queue size/,
    ],
    [[], { OTEL_TRACES_EXPORTER: 'jaeger' }, /\$OTEL_TRACES_EXPORTER: "jaeger" is not supported/],
    [[], { OTEL_SDK_DISABLED: 'yes' }, /\$OTEL_SDK_DISABLED must be true or false/],
  ] as const)('refuses %j %j on one line', (args, env, message) => {
    const text = refusal([...args], env);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});
