import { describe, expect, it } from 'vitest';

import { durationMs, parseSpans, renderTrace } from '../../src/spans.js';

const line = (spans: object[]) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'vk' } }] },
        scopeSpans: [{ scope: { name: '@vkubelet/core' }, spans }],
      },
    ],
  });

const span = (spanId: string, parentSpanId: string, name: string, start: number, end: number) => ({
  traceId: 't1',
  spanId,
  parentSpanId,
  name,
  startTimeUnixNano: String(BigInt(start) * 1_000_000n),
  endTimeUnixNano: String(BigInt(end) * 1_000_000n),
  attributes: [
    { key: 'n', value: { intValue: '3' } },
    { key: 'ok', value: { boolValue: true } },
  ],
  status: { code: 2 },
});

describe('parseSpans', () => {
  it('flattens every line, with service, scope, typed attributes and status', () => {
    const text = `${line([span('a', '', 'sync pod', 0, 30)])}\n${line([span('b', 'a', 'provider createPod', 5, 25)])}\n{"partial`;
    const spans = parseSpans(text);
    expect(spans.map(s => s.name)).toEqual(['sync pod', 'provider createPod']);
    expect(spans[1]).toMatchObject({
      parentSpanId: 'a',
      service: 'vk',
      scope: '@vkubelet/core',
      attributes: { n: 3, ok: true },
      statusCode: 2,
    });
    expect(durationMs(spans[0]!)).toBe(30);
  });

  it('renders a trace as a tree in start order, marking spans whose parent is missing', () => {
    const spans = parseSpans(
      line([span('b', 'a', 'child', 5, 25), span('a', '', 'root', 0, 30), span('c', 'x', 'stray', 40, 41)]),
    );
    expect(renderTrace(spans).split('\n')).toEqual([
      'vk: root  +0.0 ms, 30.0 ms',
      '  vk: child  +5.0 ms, 20.0 ms',
      'vk: stray  +40.0 ms, 1.0 ms (parent x not here)',
    ]);
  });
});
