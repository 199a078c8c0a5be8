import { describe, expect, it } from 'vitest';

import { KubeletRoutes } from '../../../src/http/routes.js';

describe('KubeletRoutes', () => {
  const routes = new KubeletRoutes();

  it.each([
    ['GET', '/containerLogs/ns/pod/c', 'containerLogs'],
    ['GET', '/exec/ns/pod/c', 'exec'],
    ['POST', '/exec/ns/pod/c', 'exec'],
    ['POST', '/attach/ns/pod/c', 'attach'],
    ['GET', '/portForward/ns/pod', 'portForward'],
    ['POST', '/portForward/ns/pod', 'portForward'],
    ['GET', '/pods', 'pods'],
    ['GET', '/pods/', 'pods'],
    ['GET', '/runningpods/', 'runningPods'],
    ['GET', '/runningpods', 'runningPods'],
    ['GET', '/stats/summary', 'statsSummary'],
    ['GET', '/stats/summary/', 'statsSummary'],
    ['GET', '/metrics/resource', 'metricsResource'],
    ['GET', '/metrics/resource/', 'metricsResource'],
    ['GET', '/healthz', 'healthz'],
  ])('%s %s is %s', (method, path, name) => {
    expect(routes.lookup(method, path).name).toBe(name);
  });

  it('extracts and decodes path parameters', () => {
    expect(routes.lookup('GET', '/containerLogs/kube-system/my%2Dpod/main')).toEqual({
      name: 'containerLogs',
      params: { namespace: 'kube-system', pod: 'my-pod', container: 'main' },
    });
  });

  it('accepts every valid name length: pods of 253 characters, containers of 63', () => {
    const pod = `p${'o'.repeat(251)}d`;
    const container = 'c'.repeat(63);
    const namespace = 'n'.repeat(63);
    expect(pod).toHaveLength(253);
    for (const [method, path] of [
      ['GET', `/containerLogs/${namespace}/${pod}/${container}`],
      ['POST', `/exec/${namespace}/${pod}/${container}`],
      ['POST', `/attach/${namespace}/${pod}/${container}`],
      ['POST', `/portForward/${namespace}/${pod}`],
    ] as const) {
      expect(routes.lookup(method, path), path).toMatchObject({ params: { namespace, pod } });
    }
    // Percent-encoded, a name is up to three times as long on the wire.
    const encoded = [...pod].map(ch => `%${ch.charCodeAt(0).toString(16)}`).join('');
    expect(routes.lookup('GET', `/portForward/${namespace}/${encoded}`)).toMatchObject({ params: { pod } });
  });

  it('answers 405 for a known path with another method', () => {
    expect(routes.lookup('POST', '/containerLogs/ns/pod/c')).toEqual({ statusCode: 405 });
    expect(routes.lookup('DELETE', '/pods')).toEqual({ statusCode: 405 });
    expect(routes.lookup('PUT', '/exec/ns/pod/c')).toEqual({ statusCode: 405 });
  });

  it('answers 404 for unknown paths and wrong shapes', () => {
    expect(routes.lookup('GET', '/')).toEqual({ statusCode: 404 });
    expect(routes.lookup('GET', '/configz')).toEqual({ statusCode: 404 });
    expect(routes.lookup('GET', '/containerLogs/ns/pod')).toEqual({ statusCode: 404 });
    expect(routes.lookup('GET', '/exec/ns/pod/c/extra')).toEqual({ statusCode: 404 });
    expect(routes.lookup('GET', '/Pods')).toEqual({ statusCode: 404 });
  });
});
