import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { EventRecorder } from '../../../src/events/recorder.js';
import type { EventObject, EventSink } from '../../../src/events/sink.js';

class MemorySink implements EventSink {
  created: EventObject[] = [];
  replaced: EventObject[] = [];
  async create(_namespace: string, event: EventObject): Promise<void> {
    this.created.push(structuredClone(event));
  }
  async replace(_namespace: string, _name: string, event: EventObject): Promise<EventObject> {
    this.replaced.push(structuredClone(event));
    return event;
  }
}

const pod = (uid: string): V1Pod => ({ metadata: { name: 'web', namespace: 'ns', uid } });

afterEach(() => {
  vi.useRealTimers();
});

describe('EventRecorder', () => {
  it('writes an events.k8s.io/v1 Event about the pod', async () => {
    const sink = new MemorySink();
    const recorder = new EventRecorder({ nodeName: 'vk-1', sink });
    recorder.event(pod('u1'), 'Normal', 'ProviderCreateSuccess', 'Create pod in provider successfully');
    await recorder.close();
    expect(sink.created).toHaveLength(1);
    expect(sink.created[0]).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'ns' },
      type: 'Normal',
      reason: 'ProviderCreateSuccess',
      note: 'Create pod in provider successfully',
      reportingController: 'vk-1/pod-controller',
      reportingInstance: 'vk-1',
      regarding: { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u1' },
    });
    expect(sink.created[0]!.metadata!.name).toMatch(/^web\.[0-9a-f]+$/);
    // MicroTime: the API server parses eventTime with exactly six fractional digits.
    expect(sink.created[0]!.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('aggregates repeats into one event with a series count', async () => {
    vi.useFakeTimers();
    const sink = new MemorySink();
    const recorder = new EventRecorder({ nodeName: 'vk', sink, seriesFlushMs: 1000 });
    for (let i = 0; i < 50; i++) recorder.event(pod('u1'), 'Warning', 'ProviderCreateFailed', 'boom');
    await vi.advanceTimersByTimeAsync(1500);
    expect(sink.created).toHaveLength(1);
    expect(sink.replaced).toHaveLength(1);
    expect(sink.replaced[0]!.series!.count).toBe(50);
    expect(sink.replaced[0]!.series!.lastObservedTime).toMatch(/\.\d{6}Z$/);
    recorder.event(pod('u1'), 'Warning', 'ProviderCreateFailed', 'boom');
    await vi.advanceTimersByTimeAsync(1500);
    expect(sink.replaced.at(-1)!.series!.count).toBe(51);
    // A different pod UID (a re-created pod with the same name) starts its own event.
    recorder.event(pod('u2'), 'Warning', 'ProviderCreateFailed', 'boom');
    await recorder.close();
    expect(sink.created).toHaveLength(2);
  });

  it('remembers at most maxSeries series, writing a pending count before forgetting one', async () => {
    vi.useFakeTimers();
    const sink = new MemorySink();
    const recorder = new EventRecorder({ nodeName: 'vk', sink, seriesFlushMs: 60_000, maxSeries: 2 });
    recorder.event(pod('u1'), 'Warning', 'BackOff', 'again');
    recorder.event(pod('u1'), 'Warning', 'BackOff', 'again');
    await vi.advanceTimersByTimeAsync(10);
    recorder.event(pod('u2'), 'Normal', 'Started', 'ok');
    recorder.event(pod('u3'), 'Normal', 'Started', 'ok');
    await vi.advanceTimersByTimeAsync(10);
    // u1's series was the oldest: its repeat was written when it was forgotten, not 60 s later.
    expect(sink.replaced).toHaveLength(1);
    expect(sink.replaced[0]).toMatchObject({ regarding: { uid: 'u1' }, series: { count: 2 } });
    // A repeat of a forgotten series starts a new Event; remembered ones still aggregate.
    recorder.event(pod('u1'), 'Warning', 'BackOff', 'again');
    recorder.event(pod('u3'), 'Normal', 'Started', 'ok');
    await recorder.close();
    expect(sink.created.map(event => event.regarding?.uid)).toEqual(['u1', 'u2', 'u3', 'u1']);
  });

  it('limits distinct events per pod, refilling over time', async () => {
    vi.useFakeTimers();
    const sink = new MemorySink();
    const recorder = new EventRecorder({
      nodeName: 'vk',
      sink,
      perObjectBurst: 3,
      perObjectRefillMs: 10_000,
    });
    for (let i = 0; i < 10; i++) recorder.event(pod('u1'), 'Warning', 'Failed', `attempt ${i}`);
    recorder.event(pod('other'), 'Warning', 'Failed', 'other pod is not limited by u1');
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.created.map(e => e.note)).toEqual([
      'attempt 0',
      'attempt 1',
      'attempt 2',
      'other pod is not limited by u1',
    ]);
    await vi.advanceTimersByTimeAsync(10_000);
    recorder.event(pod('u1'), 'Warning', 'Failed', 'after refill');
    await recorder.close();
    expect(sink.created.at(-1)!.note).toBe('after refill');
  });

  it('keeps going when the API server rejects a write', async () => {
    const sink = new MemorySink();
    let fail = true;
    const flaky: EventSink = {
      create: async (ns, event) => {
        if (fail) {
          fail = false;
          throw new Error('503');
        }
        return sink.create(ns, event);
      },
      replace: (ns, name, event) => sink.replace(ns, name, event),
    };
    const recorder = new EventRecorder({ nodeName: 'vk', sink: flaky });
    recorder.event(pod('u1'), 'Normal', 'A', 'first');
    recorder.event(pod('u1'), 'Normal', 'B', 'second');
    await recorder.close();
    expect(sink.created.map(e => e.reason)).toEqual(['B']);
  });
  it('limits new Normal events node-wide, never Warnings', async () => {
    vi.useFakeTimers();
    const sink = new MemorySink();
    const recorder = new EventRecorder({ nodeName: 'vk', sink, normalQps: 10, normalBurst: 5 });
    const many = (n: number, type: 'Normal' | 'Warning', prefix: string) => {
      for (let i = 0; i < n; i++) recorder.event(pod(`${prefix}${i}`), type, 'Reason', 'note');
    };
    many(8, 'Normal', 'a');
    many(3, 'Warning', 'w');
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.created.filter(e => e.type === 'Normal')).toHaveLength(5);
    expect(sink.created.filter(e => e.type === 'Warning')).toHaveLength(3);
    // 10 a second refill: after 300 ms, 3 more.
    await vi.advanceTimersByTimeAsync(300);
    many(8, 'Normal', 'b');
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.created.filter(e => e.type === 'Normal')).toHaveLength(8);
    await recorder.close();
  });

  it('writes a burst of 50 Normal events by default, then 20 a second', async () => {
    vi.useFakeTimers();
    const sink = new MemorySink();
    const recorder = new EventRecorder({ nodeName: 'vk', sink });
    for (let i = 0; i < 80; i++) recorder.event(pod(`a${i}`), 'Normal', 'Reason', 'note');
    await vi.advanceTimersByTimeAsync(1000);
    for (let i = 0; i < 80; i++) recorder.event(pod(`b${i}`), 'Normal', 'Reason', 'note');
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.created).toHaveLength(70);
    await recorder.close();
  });

  it('writes every Normal event when the node-wide limit is off', async () => {
    const sink = new MemorySink();
    const recorder = new EventRecorder({ nodeName: 'vk', sink, normalQps: 0, normalBurst: 1 });
    for (let i = 0; i < 300; i++) recorder.event(pod(`u${i}`), 'Normal', 'Reason', 'note');
    await recorder.close();
    expect(sink.created).toHaveLength(300);
  });
});
