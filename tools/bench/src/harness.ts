import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { KubeClient, loadKubeconfig } from '@vkubelet/core';
import { createCertificateAuthority, startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { startAgent, type AgentProcess } from './agent-process.js';
import type { AgentKind } from './agents.js';
import { auditFlags } from './audit.js';
import { agentKubeconfig } from './identity.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** A control plane for one agent: audit log on, a namespace for the pods, an admin client. */
export interface BenchPlane {
  plane: ControlPlane;
  admin: KubeClient;
  auditLog: string;
  nodeName: string;
  namespace: string;
  outDir: string;
  stop(): Promise<void>;
}

export interface BenchPlaneOptions {
  outDir: string;
  nodeName: string;
  namespace?: string;
  log: (line: string) => void;
  /** Name of the control plane's temp directory. */
  name?: string;
  /**
   * kube-controller-manager (default off: pods are bound by the bench; on, it creates the default
   * ServiceAccount the ServiceAccount admission plugin waits for). kube-scheduler is never started.
   */
  controllerManager?: boolean;
  apiServerFlags?: string[];
}

export async function startBenchPlane(options: BenchPlaneOptions): Promise<BenchPlane> {
  mkdirSync(options.outDir, { recursive: true });
  const auditDir = join(options.outDir, 'audit');
  mkdirSync(auditDir, { recursive: true });
  const audit = auditFlags(auditDir);
  options.log('starting the control plane on 127.0.0.1');
  const plane = await startControlPlane({
    name: options.name ?? 'bench',
    scheduler: false,
    controllerManager: options.controllerManager ?? false,
    apiServerFlags: [...audit.flags, ...(options.apiServerFlags ?? [])],
  });
  const admin = KubeClient.create({
    kubeConfig: loadKubeconfig(plane.adminKubeconfigPath),
    qps: 2_000,
    burst: 4_000,
  });
  const namespace = options.namespace ?? 'bench';
  try {
    await admin.requestJson('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) {
      await admin.close();
      await plane.stop();
      throw err;
    }
  }
  return {
    plane,
    admin,
    auditLog: audit.logPath,
    nodeName: options.nodeName,
    namespace,
    outDir: options.outDir,
    async stop() {
      await admin.close();
      await plane.stop();
    },
  };
}

/** Whether the agent started at `since` (epoch ms) has shown it is alive: lease renewed or heartbeat. */
async function aliveSince(client: KubeClient, name: string, since: number): Promise<boolean> {
  const node = await client.requestJson<V1Node>('GET', `/api/v1/nodes/${name}`).catch(() => undefined);
  const ready = node?.status?.conditions?.find(c => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  // Heartbeats have second precision: only one in a later second surely comes from the new agent.
  const heartbeat = ready.lastHeartbeatTime ? new Date(ready.lastHeartbeatTime).getTime() : 0;
  if (heartbeat >= Math.floor(since / 1000) * 1000 + 1000) return true;
  const lease = await client
    .requestJson<{ spec?: { renewTime?: string } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`,
    )
    .catch(() => undefined);
  return lease?.spec?.renewTime !== undefined && Date.parse(lease.spec.renewTime) >= since;
}

/**
 * Waits until the agent started at `since` has its node Ready and has renewed its lease or heartbeat
 * since then (a node stays Ready for a while after its previous agent stopped).
 */
export async function waitForAgentReady(
  client: KubeClient,
  name: string,
  since: number,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    if (await aliveSince(client, name, since)) return;
    await sleep(100);
  }
  throw new Error(
    dead
      ? 'the agent exited before its node was Ready (see agent.log)'
      : `node ${name} not Ready with a fresh heartbeat or lease within ${timeoutMs} ms`,
  );
}

/** A serving certificate and key for an agent's kubelet API, from a throw-away CA, as PEM files. */
async function servingCertificate(outDir: string, nodeName: string): Promise<{ cert: string; key: string }> {
  const ca = await createCertificateAuthority('vkubelet-bench-serving-ca');
  const pair = await ca.issueServingCert(nodeName, { dns: [nodeName], ips: ['127.0.0.1'] });
  const cert = join(outDir, 'serving.crt');
  const key = join(outDir, 'serving.key');
  writeFileSync(cert, pair.certPem);
  writeFileSync(key, pair.keyPem, { mode: 0o600 });
  return { cert, key };
}

/** Starts, restarts and stops one kind of agent for the node of a bench plane. */
export class AgentRunner {
  private kubeconfig: string | undefined;
  private serving: { cert: string; key: string } | undefined;
  private readonly providerConfig: string;
  current: AgentProcess | undefined;
  /** When the current process was started (epoch ms). */
  startedAt = 0;
  /** The current process's command line. */
  argv: string[] = [];

  constructor(
    private readonly bench: BenchPlane,
    readonly kind: AgentKind,
    mockSettings: Record<string, unknown>,
    private readonly log: (line: string) => void,
  ) {
    this.providerConfig = join(bench.outDir, 'mock-provider.json');
    writeFileSync(this.providerConfig, JSON.stringify({ [bench.nodeName]: mockSettings }));
  }

  /** Starts a process; resolves once it has shown it is alive (see waitForAgentReady) unless `wait` is false. */
  async start(wait = true): Promise<AgentProcess> {
    const { plane, admin, nodeName, outDir } = this.bench;
    this.kubeconfig ??= await agentKubeconfig(plane, admin, nodeName, this.kind.identity);
    this.serving ??= await servingCertificate(outDir, nodeName);
    const context = {
      plane,
      admin,
      nodeName,
      kubeconfig: this.kubeconfig,
      providerConfig: this.providerConfig,
      outDir,
      serving: this.serving,
      freePort,
    };
    await this.kind.prepare?.(context);
    const { argv, env } = await this.kind.launch(context);
    this.log(`starting ${this.kind.label}: ${argv.join(' ')}`);
    this.startedAt = Date.now();
    this.argv = argv;
    const agent = startAgent(argv, join(outDir, 'agent.log'), env);
    this.current = agent;
    if (wait) {
      try {
        await waitForAgentReady(admin, nodeName, this.startedAt, 120_000, agent.exited);
      } catch (err) {
        await agent.stop();
        throw err;
      }
    }
    return agent;
  }

  async stop(): Promise<void> {
    await this.current?.stop();
  }

  /** The current process's Prometheus metrics, when its command line has `--metrics-addr=host:port`. */
  async metrics(): Promise<string | undefined> {
    const address = this.argv.find(arg => arg.startsWith('--metrics-addr='))?.slice('--metrics-addr='.length);
    if (!address) return undefined;
    const response = await fetch(`http://${address}/metrics`).catch(() => undefined);
    return response?.ok ? response.text() : undefined;
  }
}

/** The sum of a Prometheus counter's samples whose labels include `labels` (e.g. `operation="getStatus"`). */
export function counterValue(metrics: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Force-deletes (grace 0, as admin) the bench's pods still on the node; waits until none is left. */
export async function clearPods(bench: BenchPlane, timeoutMs = 120_000): Promise<number> {
  const path = `/api/v1/namespaces/${bench.namespace}/pods`;
  const list = await bench.admin.requestJson<{ items: V1Pod[] }>('GET', path, {
    query: { labelSelector: 'app=bench' },
  });
  const left = list.items.length;
  if (left > 0) {
    await bench.admin.requestJson('DELETE', path, {
      query: { labelSelector: 'app=bench', gracePeriodSeconds: 0 },
    });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = await bench.admin.requestJson<{ items: V1Pod[] }>('GET', path, {
      query: { labelSelector: 'app=bench', limit: 1 },
    });
    if (remaining.items.length === 0) return left;
    if (Date.now() > deadline) throw new Error(`pods of ${bench.namespace} not gone within ${timeoutMs} ms`);
    await sleep(250);
  }
}
