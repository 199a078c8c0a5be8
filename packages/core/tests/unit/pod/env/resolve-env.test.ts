import { describe, expect, it } from 'vitest';
import { errorMessage } from '@vkubelet/provider-kit';

import { EnvResolutionError } from '../../../../src/pod/env/errors.js';
import { resolvePodEnvironment } from '../../../../src/pod/env/resolve-env.js';
import { FakeResources, podWith, RecordingEvents } from './fakes.js';

function setup(resources = new FakeResources()) {
  const events = new RecordingEvents();
  const ctx = { resources, events, runtime: {}, allocatable: { cpu: '4', memory: '8Gi' } };
  return { resources, events, ctx };
}

describe('resolvePodEnvironment', () => {
  it('merges envFrom (sorted keys, prefix) and env in spec order, env overriding envFrom', async () => {
    const { ctx, events } = setup(
      new FakeResources()
        .configMap('ns', 'cm', { Z: 'z', A: 'a', '1bad': 'x' })
        .secret('ns', 's', { TOKEN: 'sekret' }),
    );
    const pod = podWith({
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cm' } }, { secretRef: { name: 's' }, prefix: 'S_' }],
      env: [
        { name: 'A', value: 'override' },
        { name: 'X', value: '$(Z)/$(S_TOKEN)' },
      ],
    });
    const resolved = await resolvePodEnvironment(pod, ctx);
    const container = resolved.spec!.containers[0]!;
    expect(container.envFrom).toEqual([]);
    expect(container.env).toEqual([
      { name: 'A', value: 'override' },
      { name: 'Z', value: 'z' },
      // A value read from a Secret says so, for backends that keep secret variables hidden.
      { name: 'S_TOKEN', value: 'sekret', valueFrom: { secretKeyRef: { name: 's', key: 'TOKEN' } } },
      { name: 'X', value: 'z/sekret' },
    ]);
    expect(events.events).toEqual([
      {
        type: 'Warning',
        reason: 'InvalidEnvironmentVariableNames',
        note: 'keys [1bad] from configmap ns/cm were skipped since they are invalid as environment variable names',
      },
    ]);
    expect(pod.spec!.containers[0]!.envFrom).toHaveLength(2);
  });

  it('marks values read from Secrets, and only those: a later plain value clears the mark', async () => {
    const { ctx } = setup(
      new FakeResources().configMap('ns', 'cm', { PLAIN: 'p' }).secret('ns', 's', { A: 'a', B: 'b' }),
    );
    const pod = podWith({
      name: 'c',
      envFrom: [{ secretRef: { name: 's' } }],
      env: [
        { name: 'B', value: 'not secret' },
        { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'PLAIN' } } },
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'B' } } },
      ],
    });
    const resolved = await resolvePodEnvironment(pod, ctx);
    expect(resolved.spec!.containers[0]!.env).toEqual([
      { name: 'A', value: 'a', valueFrom: { secretKeyRef: { name: 's', key: 'A' } } },
      { name: 'B', value: 'not secret' },
      { name: 'FROM_CM', value: 'p' },
      { name: 'FROM_SECRET', value: 'b', valueFrom: { secretKeyRef: { name: 's', key: 'B' } } },
    ]);
  });

  it('skips missing optional references with upstream reasons and messages', async () => {
    const { ctx, events } = setup(new FakeResources().configMap('ns', 'cm', {}).secret('ns', 's', {}));
    const pod = podWith({
      name: 'c',
      envFrom: [
        { configMapRef: { name: 'gone', optional: true } },
        { secretRef: { name: 'gone-s', optional: true } },
      ],
      env: [
        { name: 'V1', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } },
        { name: 'V2', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
        { name: 'V3', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      ],
    });
    const resolved = await resolvePodEnvironment(pod, ctx);
    expect(resolved.spec!.containers[0]!.env).toEqual([]);
    expect(events.events.map(e => `${e.reason}: ${e.note}`)).toEqual([
      'OptionalConfigMapNotFound: configmap "gone" not found',
      'OptionalSecretNotFound: secret "gone-s" not found',
      'OptionalConfigMapKeyNotFound: skipping optional envvar "V1": key "k" does not exist in configmap "cm"',
      'OptionalSecretKeyNotFound: skipping optional envvar "V2": key "k" does not exist in secret "s"',
      'OptionalConfigMapNotFound: skipping optional envvar "V3": configmap "nope" not found',
    ]);
  });

  it.each([
    [
      { envFrom: [{ configMapRef: { name: 'gone' } }] },
      'MandatoryConfigMapNotFound',
      'configmap "gone" not found',
    ],
    [{ envFrom: [{ secretRef: { name: 'gone' } }] }, 'MandatorySecretNotFound', 'secret "gone" not found'],
    [
      { env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] },
      'MandatoryConfigMapKeyNotFound',
      'configmap "cm" doesn\'t contain the "k" key required by pod p',
    ],
    [
      { env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
      'MandatorySecretKeyNotFound',
      'secret "s" doesn\'t contain the "k" key required by pod p',
    ],
    [
      { env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 'broken', key: 'k' } } }] },
      'FailedToReadMandatorySecret',
      'failed to read secret "broken": Error: boom',
    ],
  ])('fails on a missing mandatory reference (%#)', async (fields, reason, message) => {
    const resources = new FakeResources().configMap('ns', 'cm', {}).secret('ns', 's', {});
    resources.failing.add('broken');
    const { ctx, events } = setup(resources);
    const failure = await resolvePodEnvironment(podWith({ name: 'c', ...fields }), ctx).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(EnvResolutionError);
    expect((failure as EnvResolutionError).failure).toBe('missing');
    expect(errorMessage(failure)).toBe(message);
    expect(events.reasons()).toEqual([reason]);
  });

  it('fails (to be retried) when an optional reference cannot be read: only NotFound means absent', async () => {
    const resources = new FakeResources();
    resources.failing.add('flaky');
    const { ctx, events } = setup(resources);
    for (const fields of [
      { env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'flaky', key: 'k', optional: true } } }] },
      { env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 'flaky', key: 'k', optional: true } } }] },
      { envFrom: [{ secretRef: { name: 'flaky', optional: true } }] },
      { envFrom: [{ configMapRef: { name: 'flaky', optional: true } }] },
    ]) {
      const failure = await resolvePodEnvironment(podWith({ name: 'c', ...fields }), ctx).catch(
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(EnvResolutionError);
      expect((failure as EnvResolutionError).failure).toBe('missing');
    }
    expect(events.events.map(e => `${e.reason}: ${e.note}`)).toEqual([
      'FailedToReadOptionalConfigMap: failed to read configmap "flaky": Error: boom; will retry',
      'FailedToReadOptionalSecret: failed to read secret "flaky": Error: boom; will retry',
      'FailedToReadOptionalSecret: failed to read secret "flaky": Error: boom; will retry',
      'FailedToReadOptionalConfigMap: failed to read configmap "flaky": Error: boom; will retry',
    ]);
  });

  it('resolves downward API fields, including status IPs once reported', async () => {
    const { ctx } = setup();
    const pod = podWith({
      name: 'c',
      env: [
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'ANN', valueFrom: { fieldRef: { fieldPath: 'metadata.annotations' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      ],
    });
    const runtime = {
      status: { podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }] },
      hostIPs: ['192.168.1.1'],
    };
    const resolved = await resolvePodEnvironment(pod, { ...ctx, runtime });
    expect(Object.fromEntries(resolved.spec!.containers[0]!.env!.map(e => [e.name, e.value]))).toEqual({
      NAME: 'p',
      UID: 'uid-1',
      APP: 'web',
      ANN: 'a="1"\nb="2"',
      NODE: 'vk',
      SA: 'sa',
      IP: '10.0.0.5',
      IPS: '10.0.0.5,fd00::5',
      HOST: '192.168.1.1',
    });
  });

  it('reports status.podIP as not ready until the provider reports one', async () => {
    const { ctx } = setup();
    const pod = podWith({
      name: 'c',
      env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    });
    await expect(resolvePodEnvironment(pod, ctx)).rejects.toMatchObject({ failure: 'not-ready' });
  });

  it('resolves resourceFieldRef with divisors, defaulting limits to node allocatable', async () => {
    const { ctx } = setup();
    const pod = podWith({
      name: 'c',
      resources: { requests: { cpu: '250m', memory: '1.5Gi' }, limits: { memory: '2Gi' } },
      env: [
        { name: 'REQ_CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'REQ_CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'LIM_CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        {
          name: 'REQ_MEM_MI',
          valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } },
        },
        { name: 'LIM_MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
        { name: 'REQ_EPH', valueFrom: { resourceFieldRef: { resource: 'requests.ephemeral-storage' } } },
      ],
    });
    const resolved = await resolvePodEnvironment(pod, ctx);
    expect(Object.fromEntries(resolved.spec!.containers[0]!.env!.map(e => [e.name, e.value]))).toEqual({
      REQ_CPU: '1',
      REQ_CPU_M: '250',
      LIM_CPU: '4',
      REQ_MEM_MI: '1536',
      LIM_MEM: String(2 * 2 ** 30),
      REQ_EPH: '0',
    });
  });

  it('adds service links (kubernetes always, same namespace when enabled, headless skipped)', async () => {
    const resources = new FakeResources()
      .service('default', 'kubernetes', '10.96.0.1', [{ port: 443, name: 'https' }])
      .service('ns', 'my-db', '10.96.0.9', [{ port: 5432, protocol: 'TCP' }])
      .service('ns', 'headless', 'None', [{ port: 80 }])
      .service('other', 'elsewhere', '10.96.0.7', [{ port: 80 }]);
    const { ctx } = setup(resources);
    const container = {
      name: 'c',
      env: [{ name: 'URL', value: 'http://$(MY_DB_SERVICE_HOST):$(MY_DB_SERVICE_PORT)' }],
      args: ['$(URL)', '$(MY_DB_PORT)'],
    };
    const enabled = await resolvePodEnvironment(podWith(container), ctx);
    const env = Object.fromEntries(enabled.spec!.containers[0]!.env!.map(e => [e.name, e.value]));
    expect(env).toMatchObject({
      URL: 'http://10.96.0.9:5432',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      MY_DB_SERVICE_HOST: '10.96.0.9',
    });
    expect(Object.keys(env).some(name => name.startsWith('HEADLESS') || name.startsWith('ELSEWHERE'))).toBe(
      false,
    );
    expect(enabled.spec!.containers[0]!.args).toEqual(['http://10.96.0.9:5432', 'tcp://10.96.0.9:5432']);

    const withoutLinks = podWith(container);
    withoutLinks.spec!.enableServiceLinks = false;
    const disabled = await resolvePodEnvironment(withoutLinks, ctx);
    const names = disabled.spec!.containers[0]!.env!.map(e => e.name);
    expect(names).toContain('KUBERNETES_SERVICE_HOST');
    expect(names).not.toContain('MY_DB_SERVICE_HOST');
    expect(disabled.spec!.containers[0]!.env![0]).toEqual({
      name: 'URL',
      value: 'http://$(MY_DB_SERVICE_HOST):$(MY_DB_SERVICE_PORT)',
    });
  });

  it('resolves init and ephemeral containers and reads each object once', async () => {
    const resources = new FakeResources().configMap('ns', 'cm', { K: 'v' });
    const { ctx } = setup(resources);
    const pod = podWith({ name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] });
    pod.spec!.initContainers = [
      { name: 'i', envFrom: [{ configMapRef: { name: 'cm' } }], command: ['echo', '$(K)'] },
    ];
    pod.spec!.ephemeralContainers = [{ name: 'e', env: [{ name: 'E', value: '$$(K)' }] }];
    const resolved = await resolvePodEnvironment(pod, ctx);
    expect(resolved.spec!.initContainers![0]!.command).toEqual(['echo', 'v']);
    expect(resolved.spec!.containers[0]!.env).toEqual([{ name: 'K', value: 'v' }]);
    expect(resolved.spec!.ephemeralContainers![0]!.env).toEqual([{ name: 'E', value: '$(K)' }]);
    expect(resources.reads).toBe(1);
  });

  it('gives the same result when resolved twice', async () => {
    const { ctx } = setup(new FakeResources().configMap('ns', 'cm', { B: '2', A: '1' }));
    const pod = podWith({ name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] });
    expect(await resolvePodEnvironment(pod, ctx)).toEqual(await resolvePodEnvironment(pod, ctx));
  });
});
