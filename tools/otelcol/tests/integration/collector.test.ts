import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCollector, type Collector } from '../../src/index.js';

// One span as OTLP/JSON, the encoding of OTEL_EXPORTER_OTLP_PROTOCOL=http/json.
const request = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: [
            {
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: 'b7ad6b7169203331',
              name: 'hello',
              kind: 3,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000250000000',
              attributes: [{ key: 'k8s.pod.name', value: { stringValue: 'p' } }],
            },
          ],
        },
      ],
    },
  ],
};

describe('startCollector', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startCollector({ name: 'self-test' });
  });
  afterAll(() => collector?.stop());

  it('writes what its OTLP/HTTP receiver gets to the spans file', async () => {
    const response = await fetch(`${collector.httpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(response.status).toBe(200);
    const [span] = await collector.waitForSpans(spans => spans.length > 0, 10_000);
    expect(span).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      name: 'hello',
      service: 'probe',
      scope: 'test',
      kind: 3,
      attributes: { 'k8s.pod.name': 'p' },
    });
  });

  it('listens for OTLP/gRPC on its own port', () => {
    expect(collector.grpcEndpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(collector.grpcEndpoint).not.toBe(new URL(collector.httpEndpoint).host);
  });
});
