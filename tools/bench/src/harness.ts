import type { V1Node } from '@kubernetes/client-node';
import { KubeClient, loadKubeconfig } from '@vkubelet/core';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '@vkubelet/testenv';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { DEFAULT_AGENT_COMMAND, expandCommand, startAgent, type AgentProcess } from './agent-process.js';

/** A control plane with one virtual node run by an agent process. */
export interface BenchCluster {
  plane: ControlPlane;
  admin: KubeClient;
  agent: AgentProcess;
  nodeName: string;
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  outDir: string;
  nodeName: string;
  /** Agent command template (see DEFAULT_AGENT_COMMAND for the placeholders). */
  agentCommand?: string;
  /** Settings for the mock provider, written to the file passed as {providerConfig}. */
  mockSettings: Record<string, unknown>;
  controlPlane: ControlPlaneOptions;
  log: (line: string) => void;
}

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

async function waitForReadyNode(
  client: KubeClient,
  name: string,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    try {
      const node = await client.requestJson<V1Node>('GET', `/api/v1/nodes/${name}`);
      if (node.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')) return;
    } catch {
      // Not registered yet.
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(
    dead
      ? 'the agent exited before its node was Ready (see agent.log)'
      : `node ${name} not Ready in ${timeoutMs} ms`,
  );
}

/** Starts the control plane, then the agent, and waits until its node is Ready. */
export async function startBenchCluster(options: BenchClusterOptions): Promise<BenchCluster> {
  options.log('starting the control plane on 127.0.0.1');
  const plane = await startControlPlane(options.controlPlane);
  let agent: AgentProcess | undefined;
  try {
    const admin = KubeClient.create({
      kubeConfig: loadKubeconfig(plane.adminKubeconfigPath),
      qps: 2_000,
      burst: 4_000,
    });
    const providerConfig = join(options.outDir, 'mock-provider.json');
    writeFileSync(providerConfig, JSON.stringify({ [options.nodeName]: options.mockSettings }));
    const argv = expandCommand(options.agentCommand ?? DEFAULT_AGENT_COMMAND, {
      kubeconfig: await plane.nodeKubeconfig(options.nodeName),
      node: options.nodeName,
      ca: plane.ca.certPath,
      providerConfig,
      metricsPort: String(await freePort()),
    });
    options.log(`starting the agent: ${argv.join(' ')}`);
    const started = startAgent(argv, join(options.outDir, 'agent.log'));
    agent = started;
    await waitForReadyNode(admin, options.nodeName, 60_000, started.exited);
    return {
      plane,
      admin,
      agent: started,
      nodeName: options.nodeName,
      async stop() {
        await started.stop();
        await admin.close();
        await plane.stop();
      },
    };
  } catch (err) {
    await agent?.stop();
    await plane.stop();
    throw err;
  }
}
