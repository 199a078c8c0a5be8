import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  backendCaller,
  inSpan,
  NotFoundError,
  providerKitTracer,
  ProviderRuntime,
  TransientError,
  type CallOptions,
  type TrackedPod,
} from '../../../src/index.js';
import { recordSpans, type SpanRecorder } from '../../../src/testing/index.js';
import { call, FakeBackend, pod, type Box } from './fake-backend.js';

let recorder: SpanRecorder;
beforeAll(async () => (recorder = await recordSpans()));
afterAll(() => recorder.stop());
beforeEach(() => recorder.reset());

const named = (name: string) => recorder.spans().filter(span => span.name === name);

describe('backendCaller spans', () => {
  const caller = backendCaller({
    system: 'toy',
    attributes: { 'rpc.system': 'toy-api' },
    outcomeAttributes: outcome => ({ 'toy.request_id': (outcome as { id?: string }).id ?? 'none' }),
    toError: (error, operation) => new NotFoundError(`${operation}: ${String(error)}`, { cause: error }),
  });

  it('makes each request a client span under the caller, with the backend and what the answer says', async () => {
    await inSpan(providerKitTracer, 'caller', {}, () => caller('Describe', async () => ({ id: 'r-1' })));
    const [request] = named('toy Describe');
    const [parent] = named('caller');
    expect(request).toMatchObject({
      kind: SpanKind.CLIENT,
      parentSpanId: parent!.spanId,
      traceId: parent!.traceId,
      scope: '@vkubelet/provider-kit',
      attributes: {
        'vkubelet.backend.system': 'toy',
        'rpc.method': 'Describe',
        'rpc.system': 'toy-api',
        'toy.request_id': 'r-1',
      },
    });
    expect(request!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('records a failure on the span with the errdefs kind of the converted error', async () => {
    const failing = Object.assign(new Error('no such box'), { id: 'r-2' });
    await expect(caller('Stop', () => Promise.reject(failing))).rejects.toThrow('Stop: Error: no such box');
    const [request] = named('toy Stop');
    expect(request!.parentSpanId).toBeUndefined();
    expect(request!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Stop: Error: no such box' });
    expect(request!.attributes).toMatchObject({ 'error.type': 'NotFound', 'toy.request_id': 'r-2' });
    expect(request!.events).toEqual(['exception']);
  });
});

/** The fake backend with its requests through a backendCaller, and a `sync` that reads one box. */
class TracedBackend extends FakeBackend {
  private readonly call = backendCaller({
    system: 'fake',
    toError: error => new TransientError(String(error)),
  });

  override create(p: Parameters<FakeBackend['create']>[0], options: CallOptions): Promise<Box> {
    return this.call('Create', () => super.create(p, options));
  }
  override refresh(
    records: readonly TrackedPod<Box>[],
    options: CallOptions,
  ): Promise<Map<string, Box | null>> {
    return this.call('DescribeMany', () => super.refresh(records, options));
  }
  async sync(record: TrackedPod<Box>): Promise<Box | null> {
    return this.call('Inspect', async () => this.boxes.get(record.uid) ?? null);
  }
}

describe('provider runtime spans', () => {
  it("runs the sync that follows a create in the caller's trace, and each refresh pass as a trace of its own", async () => {
    const backend = new TracedBackend();
    const runtime = new ProviderRuntime<Box>({ backend, refresh: { intervalMs: 20 } });
    try {
      const created = pod('web');
      await inSpan(providerKitTracer, 'provider createPod', {}, () => runtime.createPod(created, call()));
      await runtime.start();
      await vi.waitFor(() => expect(named('provider refresh').length).toBeGreaterThan(0));
      await vi.waitFor(() => expect(named('provider sync pod').length).toBeGreaterThan(0));
      const [caller] = named('provider createPod');
      const [create] = named('fake Create');
      const [sync] = named('provider sync pod');
      expect(create!.parentSpanId).toBe(caller!.spanId);
      expect(sync!.parentSpanId).toBe(caller!.spanId);
      expect(sync!.attributes).toMatchObject({ 'k8s.pod.name': 'web', 'k8s.namespace.name': 'ns' });
      expect(named('fake Inspect')[0]!.parentSpanId).toBe(sync!.spanId);
      const [refresh] = named('provider refresh');
      expect(refresh!.parentSpanId).toBeUndefined();
      expect(refresh!.traceId).not.toBe(caller!.traceId);
      expect(refresh!.attributes['vkubelet.pod.count']).toBe(1);
      expect(named('fake DescribeMany').some(span => span.parentSpanId === refresh!.spanId)).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});
