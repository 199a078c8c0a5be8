import { afterAll, describe, expect, it } from 'vitest';

import {
  ALL_CAPABILITIES,
  CONFORMANCE_CHECKS,
  runConformanceChecks,
} from '../../../src/conformance/index.js';
import { MockBackend, MockProvider } from '../../../src/mock/index.js';
import { BROKEN_PROVIDERS } from '../fixtures/broken-providers.js';

const timeouts = { podRunningMs: 1_500, podExitMs: 1_500, checkMs: 8_000 };
const backends: MockBackend[] = [];
afterAll(() => backends.forEach(backend => backend.close()));

describe.concurrent('the conformance suite catches broken providers', () => {
  for (const [name, broken] of Object.entries(BROKEN_PROVIDERS)) {
    it(`${name}: fails ${broken.failing.join(', ')}`, async () => {
      const backend = new MockBackend();
      backends.push(backend);
      // A pod-creating check first, so checks about leftovers have something to find.
      const checks = ['lifecycle.create-get', ...broken.failing];
      const report = await runConformanceChecks(
        {
          name,
          createProvider: async () => broken.create(backend),
          capabilities: ALL_CAPABILITIES,
          timeouts,
          parallelPods: 5,
          listBackendResources:
            broken.listBackendResources?.(backend) ?? (async () => backend.listResources()),
        },
        checks,
      );
      for (const id of broken.failing) {
        const result = report.results.find(r => r.id === id);
        expect(result?.status, `${id} against ${name}: ${result?.detail ?? 'not run'}`).toBe('failed');
        expect(result?.detail).toBeTruthy();
      }
    }, 30_000);
  }
});

describe('capabilities', () => {
  it('reports checks of undeclared capabilities as not applicable, never passed', async () => {
    const backend = new MockBackend();
    backends.push(backend);
    const report = await runConformanceChecks({
      name: 'bare',
      createProvider: async () => new MockProvider({ backend, startupDelayMs: 5 }),
      capabilities: {},
      timeouts,
    });
    const needsSomething = CONFORMANCE_CHECKS.filter(c => c.requires.length > 0 || c.needsBackendResources);
    expect(needsSomething.length).toBeGreaterThan(10);
    for (const check of needsSomething) {
      expect(report.results.find(r => r.id === check.id)?.status, check.id).toBe('not-applicable');
    }
    expect(report.results.find(r => r.id === 'exec.exit-code')?.detail).toBe('needs capability exec');
    const always = report.results.filter(r => r.status !== 'not-applicable');
    expect(always.map(r => r.status)).toEqual(always.map(() => 'passed'));
    expect(report.summary.passed + report.summary['not-applicable']).toBe(CONFORMANCE_CHECKS.length);
  }, 30_000);

  it('says why a capability does not apply when the provider tells', async () => {
    const backend = new MockBackend();
    backends.push(backend);
    const report = await runConformanceChecks(
      {
        name: 'explained',
        createProvider: async () => new MockProvider({ backend, startupDelayMs: 5 }),
        capabilities: { exec: true },
        notApplicable: { attach: 'the backend has no attach API', portForward: 'no port-forward API' },
        timeouts,
      },
      ['attach.stdio', 'port-forward.echo', 'stats.summary'],
    );
    const detail = (id: string) => report.results.find(r => r.id === id)?.detail;
    expect(detail('attach.stdio')).toBe('needs capability attach: the backend has no attach API');
    expect(detail('port-forward.echo')).toBe('needs capability portForward: no port-forward API');
    expect(detail('stats.summary')).toBe('needs capability stats');
  });

  it('every broken fixture names only checks that exist', () => {
    const ids = new Set(CONFORMANCE_CHECKS.map(c => c.id));
    for (const broken of Object.values(BROKEN_PROVIDERS))
      for (const id of broken.failing) expect(ids).toContain(id);
  });
});
