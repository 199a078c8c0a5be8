import type { V1Node } from '@kubernetes/client-node';
import { KubeClient, loadKubeconfig } from '@vkubelet/core';
import { createCertificateAuthority, startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { AgentSlot } from './agents.js';
import type { SoakBackend } from './backend/types.js';
import { PodHistoryRecorder } from './history.js';
import { FaultProxy, type Upstream } from './proxy/fault-proxy.js';
import type { Rng } from './random.js';

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface SoakClusterOptions {
  outDir: string;
  nodeName: string;
  /** Agent processes for the node: one, or several with leader election. */
  agents: number;
  /** Leader election timings (with more than one agent). */
  leaderElection?: LeaderElectionTimings;
  backend: SoakBackend;
  /** The agents' --provider-call-timeout. */
  callTimeoutMs: number;
  /** More agent flags (an experiment: `--full-resync-period=0`). */
  agentArgs?: readonly string[];
  /** An ended agent starts again after a delay uniform in [min, max] ms. */
  restartDelayMs: { min: number; max: number };
  rng: Rng;
  log: (line: string) => void;
}

/** A control plane, the backend, agents behind their fault proxies, and the pod history watch. */
export interface SoakCluster {
  plane: ControlPlane;
  admin: KubeClient;
  agents: AgentSlot[];
  history: PodHistoryRecorder;
  /** Path of the leader Lease (the node Lease), for the wire log. */
  leasePath: string;
  /** Waits until the node is Ready (a status written within the last `freshMs`). */
  waitForReadyNode(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

interface KubeconfigJson {
  clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

export async function startSoakCluster(options: SoakClusterOptions): Promise<SoakCluster> {
  const { outDir, nodeName, log } = options;
  log('starting the control plane on 127.0.0.1');
  const plane = await startControlPlane({ name: 'soak', scheduler: false, controllerManager: false });
  const abort = new AbortController();
  const proxies: FaultProxy[] = [];
  const agents: AgentSlot[] = [];
  let history: PodHistoryRecorder | undefined;
  const admin = KubeClient.create({
    kubeConfig: loadKubeconfig(plane.adminKubeconfigPath),
    qps: 1_000,
    burst: 2_000,
  });
  const stop = async (): Promise<void> => {
    await Promise.all(agents.map(agent => agent.stop()));
    abort.abort();
    await history?.stop();
    await options.backend.stop().catch(() => {});
    await Promise.all(proxies.map(proxy => proxy.close()));
    await admin.close();
    await plane.stop();
  };
  try {
    await options.backend.start(outDir);
    // The agents trust the proxies' CA; the proxies talk to the API server as the node.
    const nodeKubeconfig = JSON.parse(
      readFileSync(await plane.nodeKubeconfig(nodeName), 'utf8'),
    ) as KubeconfigJson;
    const user = nodeKubeconfig.users[0]!.user;
    const upstream: Upstream = {
      server: plane.server,
      caPem: readFileSync(plane.caCertPath, 'utf8'),
      certPem: fromBase64(user['client-certificate-data']),
      keyPem: fromBase64(user['client-key-data']),
    };
    const proxyCa = await createCertificateAuthority('vkubelet-soak-proxy-ca');
    const serving = await proxyCa.issueServingCert('soak-fault-proxy', {
      ips: ['127.0.0.1'],
      dns: ['localhost'],
    });
    history = new PodHistoryRecorder(admin, nodeName);
    await history.start(abort.signal);
    const election = options.leaderElection;
    for (let index = 1; index <= options.agents; index++) {
      const name = `a${index}`;
      const proxy = new FaultProxy(name, upstream, serving);
      proxy.useRandom(options.rng);
      proxies.push(proxy);
      const proxyUrl = await proxy.listen();
      const kubeconfig = structuredClone(nodeKubeconfig);
      kubeconfig.clusters[0]!.cluster = {
        server: proxyUrl,
        'certificate-authority-data': Buffer.from(proxyCa.certPem).toString('base64'),
      };
      const kubeconfigPath = join(outDir, `kubeconfig-${name}.json`);
      writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });
      const extraArgs = [
        `--provider-call-timeout=${options.callTimeoutMs}ms`,
        '--shutdown-grace-period=5s',
        ...(options.agentArgs ?? []),
      ];
      if (election) {
        extraArgs.push(
          '--leader-elect',
          `--leader-elect-lease-duration=${election.leaseDurationMs}ms`,
          `--leader-elect-renew-deadline=${election.renewDeadlineMs}ms`,
          `--leader-elect-retry-period=${election.retryPeriodMs}ms`,
        );
      }
      agents.push(
        new AgentSlot({
          name,
          nodeName,
          kubeconfig: kubeconfigPath,
          proxy,
          providerArgs: options.backend.agentArgs(name),
          extraArgs,
          logPath: join(outDir, `agent-${name}.log`),
          restartDelayMs: options.restartDelayMs,
          rng: options.rng,
          log,
        }),
      );
    }
    for (const agent of agents) agent.start();
    const cluster: SoakCluster = {
      plane,
      admin,
      agents,
      history,
      leasePath: `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodeName}`,
      waitForReadyNode: timeoutMs => waitForReadyNode(admin, nodeName, timeoutMs),
      stop,
    };
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForReadyNode(admin: KubeClient, nodeName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const node = await admin.requestJson<V1Node>('GET', `/api/v1/nodes/${nodeName}`);
      if (node.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')) return;
    } catch {
      // Not registered yet, or the API server is restarting.
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(`node ${nodeName} not Ready within ${timeoutMs} ms (see the agent logs)`);
}
