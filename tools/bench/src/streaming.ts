import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

import { DEFAULT_AGENT_COMMAND } from './agent-process.js';
import { customAgent } from './agents.js';
import { AgentRunner, startBenchPlane } from './harness.js';

export interface StreamingBenchOptions {
  bytes: number;
  outDir: string;
  agentCommand?: string;
  log?: (line: string) => void;
}

export interface StreamingResult {
  path: string;
  mbPerSecond: number;
  seconds: number;
  /** Peak resident memory of the agent during this run (its high-water mark reset before). */
  agentPeakRssMB?: number;
}

/** Resets the kernel's resident-memory high-water mark of `pid` (Linux clear_refs 5), then reads it later. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
/** Peak RSS in MB (10^6 bytes, as every figure of the benchmarks). */
function peakMB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round((Number(hwm?.[1] ?? 0) * 1024) / 1e6);
}

/** Sends `bytes` through `socket` and waits until as many come back (an echo on the other side). */
async function echoRoundTrip(socket: Socket, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let received = 0;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (received >= bytes) resolve();
    });
    socket.once('error', reject);
    socket.once('close', () =>
      received >= bytes ? resolve() : reject(new Error(`closed after ${received} bytes`)),
    );
  });
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(bytes - sent >= chunk.length ? chunk : chunk.subarray(0, bytes - sent))) {
      await new Promise(resolve => socket.once('drain', resolve));
    }
  }
  await done;
}

/** The reference: the same echo round trip over a plain loopback TCP connection. */
async function directTcp(bytes: number): Promise<StreamingResult> {
  const server = createServer(socket => socket.pipe(socket));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise(resolve => socket.once('connect', resolve));
  const started = performance.now();
  await echoRoundTrip(socket, bytes);
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  server.close();
  return { path: 'direct TCP echo (loopback)', seconds, mbPerSecond: bytes / 1e6 / seconds };
}

/**
 * Exec stdout and port-forward throughput through kubectl → kube-apiserver → the agent → the mock
 * provider, next to a plain TCP copy, with the agent's peak memory in each run.
 */
export async function runStreamingBench(options: StreamingBenchOptions): Promise<StreamingResult[]> {
  const log = options.log ?? (() => {});
  const bench = await startBenchPlane({
    outDir: options.outDir,
    nodeName: 'vkubelet-stream',
    namespace: 'default',
    name: 'bench-streaming',
    controllerManager: true,
    log,
  });
  const { plane } = bench;
  const runner = new AgentRunner(
    bench,
    customAgent(options.agentCommand ?? DEFAULT_AGENT_COMMAND, 'agent', 'node'),
    { startupDelayMs: 0 },
    log,
  );
  try {
    const agent = await runner.start();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stream', namespace: 'default' },
      spec: {
        nodeName: bench.nodeName,
        automountServiceAccountToken: false,
        tolerations: [{ operator: 'Exists' }],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '86400'] }],
      },
    };
    for (let i = 0; ; i++) {
      // The ServiceAccount admission plugin waits for the default ServiceAccount (created by KCM).
      const applied = await plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
      if (applied.code === 0) break;
      if (i > 60) throw new Error(`could not create the pod: ${applied.stderr}`);
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    const ready = await plane.kubectl(['wait', '--for=condition=Ready', 'pod/stream', '--timeout=60s']);
    if (ready.code !== 0) throw new Error(`pod not Ready: ${ready.stderr}`);

    const results: StreamingResult[] = [await directTcp(options.bytes)];

    log(`exec: ${options.bytes} bytes of stdout through the API server`);
    resetPeak(agent.pid);
    let started = performance.now();
    const exec = spawn(
      plane.kubectlPath,
      [
        '--kubeconfig',
        plane.adminKubeconfigPath,
        'exec',
        'stream',
        '--',
        'mock-stream',
        String(options.bytes),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let execBytes = 0;
    exec.stdout.on('data', (data: Buffer) => (execBytes += data.length));
    const execCode = await new Promise<number | null>(resolve => exec.once('close', resolve));
    let seconds = (performance.now() - started) / 1000;
    if (execCode !== 0 || execBytes !== options.bytes)
      throw new Error(`exec ended with ${execCode} after ${execBytes} bytes`);
    results.push({
      path: 'kubectl exec stdout (SPDY to the node)',
      seconds,
      mbPerSecond: execBytes / 1e6 / seconds,
      agentPeakRssMB: peakMB(agent.pid),
    });

    log(`port-forward: ${options.bytes} bytes each way through the API server`);
    const forward = spawn(
      plane.kubectlPath,
      ['--kubeconfig', plane.adminKubeconfigPath, 'port-forward', 'pod/stream', ':7000'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const localPort = await new Promise<number>((resolve, reject) => {
      forward.stdout.on('data', (data: Buffer) => {
        const match = /127\.0\.0\.1:(\d+) ->/.exec(data.toString());
        if (match) resolve(Number(match[1]));
      });
      forward.once('close', code => reject(new Error(`kubectl port-forward exited ${code}`)));
    });
    resetPeak(agent.pid);
    const socket = connect(localPort, '127.0.0.1');
    await new Promise(resolve => socket.once('connect', resolve));
    started = performance.now();
    await echoRoundTrip(socket, options.bytes);
    seconds = (performance.now() - started) / 1000;
    socket.destroy();
    forward.kill();
    results.push({
      path: 'kubectl port-forward echo (SPDY to the node)',
      seconds,
      mbPerSecond: options.bytes / 1e6 / seconds,
      agentPeakRssMB: peakMB(agent.pid),
    });
    return results;
  } finally {
    await runner.stop();
    await bench.stop();
  }
}
