import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startContainerd, type Containerd } from '@vkubelet/containerd';
import { renderTrace, startCollector, type Collector, type ReceivedSpan } from '@vkubelet/otelcol';
import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorMessage } from '@vkubelet/provider-kit';

/**
 * Tracing as an operator turns it on: `virtual-kubelet --trace-exporter otlp` with the standard
 * OTEL_* variables, exporting to a real OpenTelemetry Collector, next to an API server whose own
 * tracing exports to the same collector. A pod on the mock provider and one on the CRI provider (a
 * private containerd) each give one connected trace: the pod sync, env resolution, the provider
 * call with the provider's backend calls, the status writes and the API server's spans for them.
 */
const CLI = join(
  dirname(fileURLToPath(import.meta.resolve('@vkubelet/core/package.json'))),
  'dist/cli/main.js',
);
const CRI_IMAGE = 'vkubelet.test/busybox:1';

let collector: Collector;
let cp: ControlPlane;
let containerd: Containerd;
const agents: ChildProcess[] = [];
const logs = new Map<string, string>();

beforeAll(async () => {
  collector = await startCollector({ name: 'tracing-e2e' });
  [cp, containerd] = await Promise.all([
    startControlPlane({ name: 'tracing-e2e', apiServerTracing: { endpoint: collector.grpcEndpoint } }),
    startContainerd(),
  ]);
  const criConfig = join(containerd.dir, 'cri.json');
  await writeFile(
    criConfig,
    JSON.stringify({
      runtimeEndpoint: containerd.endpoint,
      podRoot: containerd.podRoot,
      cgroupParent: containerd.cgroupParent,
      statusIntervalMs: 250,
    }),
  );
  await Promise.all([
    startAgent('vk-trace-mock', ['--provider', 'mock']),
    startAgent('vk-trace-cri', ['--provider', 'cri', '--provider-config', criConfig]),
  ]);
}, 240_000);

afterAll(async () => {
  for (const agent of agents) {
    if (agent.exitCode !== null) continue;
    agent.kill('SIGTERM');
    await new Promise(resolve => agent.once('exit', resolve));
  }
  await containerd?.stop();
  await cp?.stop();
  await collector?.stop();
}, 60_000);

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/**
 * The node's identity (system:node:<name> in system:nodes), also in system:monitoring: the API server
 * continues the trace of a request only from system:masters and system:monitoring; anyone else's
 * request starts a new trace that links to theirs.
 */
function traceTrustedNodeKubeconfig(nodeName: string): Promise<string> {
  return cp.userKubeconfig(`system:node:${nodeName}`, ['system:nodes', 'system:monitoring']);
}

async function startAgent(nodeName: string, args: string[]): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      ...['--kubeconfig', await traceTrustedNodeKubeconfig(nodeName), '--nodename', nodeName],
      ...['--client-ca-file', cp.ca.certPath, '--node-ip', '127.0.0.1'],
      ...['--listen-address', '127.0.0.1:0', '--metrics-addr', ''],
      ...['--trace-exporter', 'otlp', '--trace-tag', 'deployment.environment.name=e2e'],
      ...['--trace-sample-rate', 'always'],
      ...args,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    },
  );
  agents.push(child);
  logs.set(nodeName, '');
  child.stderr.on('data', (chunk: Buffer) => logs.set(nodeName, logs.get(nodeName) + chunk.toString('utf8')));
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${nodeName} exited: ${logs.get(nodeName)}`);
      await kubectlOk(['wait', '--for=condition=Ready', `node/${nodeName}`, '--timeout=1s']);
    },
    { timeout: 90_000, interval: 500 },
  );
}

async function runPod(nodeName: string, name: string, image: string): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
      containers: [
        {
          name: 'app',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'echo hello from $(hostname); sleep 3600'],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
      ],
    },
  };
  // The ServiceAccount admission plugin waits for the default ServiceAccount, created by KCM.
  await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], JSON.stringify(pod)), {
    timeout: 30_000,
    interval: 500,
  });
  await kubectlOk(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=90s']);
}

const byName = (spans: readonly ReceivedSpan[], name: string) => spans.filter(span => span.name === name);
const childrenOf = (spans: readonly ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter(span => span.parentSpanId === parent.spanId);

/**
 * The trace in which the pod was created in the provider, once it holds the status write that
 * reports Running with the API server's spans beneath it; undefined until then.
 */
function creationTrace(spans: readonly ReceivedSpan[], pod: string): ReceivedSpan[] | undefined {
  const create = spans.find(
    span => span.name === 'provider createPod' && span.attributes['k8s.pod.name'] === pod,
  );
  if (!create) return undefined;
  const trace = spans.filter(span => span.traceId === create.traceId);
  const running = trace.find(
    span => span.name === 'sync pod status' && span.attributes['vkubelet.pod.phase'] === 'Running',
  );
  const patch = running && childrenOf(trace, running).find(span => span.name === 'PATCH pods/status');
  return patch && childrenOf(trace, patch).some(span => span.service === 'apiserver') ? trace : undefined;
}

/** Waits for the pod's creation trace; on timeout, says what the collector has about the pod. */
async function waitForCreationTrace(pod: string): Promise<{ trace: ReceivedSpan[]; spans: ReceivedSpan[] }> {
  try {
    const spans = await collector.waitForSpans(
      received => creationTrace(received, pod) !== undefined,
      30_000,
    );
    return { trace: creationTrace(spans, pod)!, spans };
  } catch (err) {
    const spans = collector.spans();
    const create = spans.find(
      span => span.name === 'provider createPod' && span.attributes['k8s.pod.name'] === pod,
    );
    const seen = create
      ? renderTrace(spans.filter(span => span.traceId === create.traceId))
      : spans
          .filter(span => span.attributes['k8s.pod.name'] === pod)
          .map(span => span.name)
          .join(', ');
    throw new Error(`${errorMessage(err)}; the pod's spans:\n${seen}`, { cause: err });
  }
}

/** Checks the shape every creation trace has, whatever the provider. */
function expectConnectedPodTrace(trace: ReceivedSpan[], node: string, pod: string): void {
  const ids = new Set(trace.map(span => span.spanId));
  const roots = trace.filter(span => !span.parentSpanId);
  // One trace, one root: every other span hangs under a span of the same trace.
  expect(roots.map(span => span.name)).toEqual(['sync pod']);
  expect(trace.filter(span => span.parentSpanId && !ids.has(span.parentSpanId))).toEqual([]);
  const [sync] = roots;
  expect(sync!.service).toBe('virtual-kubelet');
  expect(sync!.attributes).toMatchObject({
    'k8s.pod.name': pod,
    'k8s.namespace.name': 'default',
    'k8s.node.name': node,
    'vkubelet.queue.name': 'pod-sync',
    'vkubelet.queue.attempt': 1,
  });
  expect(sync!.attributes['k8s.pod.uid']).toMatch(/^[0-9a-f-]{36}$/);
  expect(sync!.attributes['vkubelet.queue.wait_ms']).toBeTypeOf('number');
  const syncChildren = childrenOf(trace, sync!).map(span => span.name);
  expect(syncChildren).toContain('resolve env');
  expect(syncChildren).toContain('provider createPod');
  // Status writes join the trace, each with its PATCH and the API server's own spans under it.
  const statusSyncs = byName(trace, 'sync pod status');
  expect(statusSyncs.length).toBeGreaterThan(0);
  for (const status of statusSyncs) expect(status.parentSpanId).toBe(sync!.spanId);
  const patches = byName(trace, 'PATCH pods/status');
  expect(patches.length).toBeGreaterThan(0);
  for (const patch of patches) {
    expect(patch.kind).toBe(3); // client
    expect(patch.attributes['http.response.status_code']).toBe(200);
    const server = childrenOf(trace, patch);
    expect(server.length).toBeGreaterThan(0);
    expect(server.every(span => span.service === 'apiserver')).toBe(true);
  }
}

describe('tracing to an OpenTelemetry Collector', () => {
  it('a pod on the mock provider: one trace from the pod sync to the Running status write, API server included', async () => {
    await runPod('vk-trace-mock', 'traced-mock', 'busybox');
    const { trace } = await waitForCreationTrace('traced-mock');
    console.log(`mock pod trace:\n${renderTrace(trace)}`);
    expectConnectedPodTrace(trace, 'vk-trace-mock', 'traced-mock');
    expect(byName(trace, 'sync pod')[0]!.scope).toBe('@vkubelet/core');
  }, 120_000);

  it('a pod on the CRI provider: the same trace holds containerd calls under the provider call', async () => {
    await runPod('vk-trace-cri', 'traced-cri', CRI_IMAGE);
    const { trace } = await waitForCreationTrace('traced-cri');
    console.log(`CRI pod trace:\n${renderTrace(trace)}`);
    expectConnectedPodTrace(trace, 'vk-trace-cri', 'traced-cri');
    const [create] = byName(trace, 'provider createPod');
    const underCreate = childrenOf(trace, create!);
    // The sandbox is made in createPod; the containers in the runtime's sync that createPod starts.
    expect(underCreate.map(span => span.name)).toContain('cri RunPodSandbox');
    const [podSync] = underCreate.filter(span => span.name === 'provider sync pod');
    expect(podSync).toBeDefined();
    const criCalls = childrenOf(trace, podSync!).map(span => span.name);
    expect(criCalls).toEqual(expect.arrayContaining(['cri CreateContainer', 'cri StartContainer']));
    for (const span of trace.filter(s => s.name.startsWith('cri '))) {
      expect(span.kind).toBe(3);
      expect(span.scope).toBe('@vkubelet/provider-kit');
      expect(span.attributes).toMatchObject({ 'rpc.system': 'grpc', 'vkubelet.backend.system': 'cri' });
    }
  }, 180_000);

  it('kubectl logs and exec are server spans with their outcome', async () => {
    expect(await kubectlOk(['logs', 'traced-mock'])).toContain('hello from');
    const failed = await cp.kubectl(['exec', 'traced-mock', '--', 'sh', '-c', 'exit 3']);
    expect(failed.code).toBe(3);
    const spans = await collector.waitForSpans(
      received =>
        received.some(span => span.name.includes('/containerLogs/')) &&
        received.some(
          span => span.name.includes('/exec/') && span.attributes['process.exit.code'] !== undefined,
        ),
      30_000,
    );
    const logsSpan = spans.find(span => span.name === 'GET /containerLogs/{namespace}/{pod}/{container}')!;
    expect(logsSpan.kind).toBe(2); // server
    expect(logsSpan.attributes).toMatchObject({
      'http.response.status_code': 200,
      'k8s.pod.name': 'traced-mock',
      'k8s.container.name': 'app',
    });
    const execSpan = spans.find(
      span => span.name.includes('/exec/') && span.attributes['process.exit.code'] !== undefined,
    )!;
    expect(execSpan.attributes).toMatchObject({
      'process.exit.code': 3,
      'http.response.status_code': 101,
      'k8s.pod.name': 'traced-mock',
    });
  }, 60_000);
});
