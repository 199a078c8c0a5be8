import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { spawnInTerminal } from '../kubelet-api/kubectl-process.js';

/**
 * The `virtual-kubelet` command as an operator runs it: the built CLI with the mock provider against
 * a real control plane, driven with signals and kubectl.
 */
const CLI = join(
  dirname(fileURLToPath(import.meta.resolve('@vkubelet/core/package.json'))),
  'dist/cli/main.js',
);
const HANGING_CLOSE = join(dirname(fileURLToPath(import.meta.url)), 'hanging-close-provider.mjs');

let cp: ControlPlane;
const agents: Agent[] = [];

beforeAll(async () => {
  cp = await startControlPlane({ name: 'cli-e2e', scheduler: false });
}, 180_000);

afterAll(async () => {
  for (const agent of agents) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await cp?.stop();
});

interface Agent {
  child: ChildProcess;
  /** stderr lines that are not JSON log lines: what a person reads. */
  messages(): string[];
  log(): string;
  exited: Promise<{ code: number | null; at: number }>;
}

async function startAgent(nodeName: string, args: string[]): Promise<Agent> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      ...['--kubeconfig', await cp.nodeKubeconfig(nodeName), '--nodename', nodeName],
      ...['--client-ca-file', cp.ca.certPath, '--node-ip', '127.0.0.1'],
      ...['--listen-address', '127.0.0.1:0', '--metrics-addr', '127.0.0.1:0'],
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; at: number }>(resolve =>
    child.once('exit', code => resolve({ code, at: Date.now() })),
  );
  const agent = {
    child,
    log: () => stderr,
    messages: () => stderr.split('\n').filter(line => line !== '' && !line.startsWith('{')),
    exited,
  };
  agents.push(agent);
  return agent;
}

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

async function waitUntilReady(agent: Agent, nodeName: string): Promise<void> {
  await vi.waitFor(
    async () => {
      if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.log()}`);
      await kubectlOk(['wait', '--for=condition=Ready', `node/${nodeName}`, '--timeout=1s']);
    },
    { timeout: 60_000, interval: 500 },
  );
}

async function runPod(nodeName: string, name: string): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
    },
  };
  // The ServiceAccount admission plugin waits for the default ServiceAccount, created by KCM.
  await vi.waitFor(() => kubectlOk(['apply', '-f', '-'], JSON.stringify(pod)), {
    timeout: 30_000,
    interval: 500,
  });
  await kubectlOk(['wait', '--for=jsonpath={.status.phase}=Running', `pod/${name}`, '--timeout=60s']);
}

/** `kubectl exec -it shell -- sh` in a terminal, once its first prompt is there. */
async function openShell() {
  const session = spawnInTerminal(
    `${cp.kubectlPath} --kubeconfig=${cp.adminKubeconfigPath} exec -it shell -- sh`,
  );
  const shows = (pattern: RegExp) =>
    vi.waitFor(() => expect(session.stdout()).toMatch(pattern), { timeout: 15_000, interval: 100 });
  const type = (keys: string) => void session.child.stdin!.write(keys);
  await shows(/# /);
  return { session, type, shows };
}

describe('virtual-kubelet with a running pod', () => {
  const NODE = 'vk-cli';
  let agent: Agent;

  beforeAll(async () => {
    agent = await startAgent(NODE, ['--provider', 'mock', '--shutdown-grace-period', '10s']);
    await waitUntilReady(agent, NODE);
    await runPod(NODE, 'shell');
  }, 120_000);

  it('kubectl exec -it sh is an interactive shell that ends on `exit N`', async () => {
    const { session, type, shows } = await openShell();
    type('echo hello from the mock\r');
    await shows(/hello from the mock\r\n# $/);
    type('exit 3\r');
    expect(await session.exited).toBe(3);
  });

  it('kubectl exec -it sh ends on Ctrl-D; Ctrl-C interrupts a command, not the session', async () => {
    const { session, type, shows } = await openShell();
    type('sleep 3600\r');
    await shows(/sleep 3600\r\n$/);
    type('\x03');
    await shows(/\^C\r\n# $/);
    type('true\r');
    await shows(/true\r\n# $/);
    type('\x04');
    expect(await session.exited).toBe(0);
  });

  it('kubectl debug -it says ephemeral containers are not supported; status and event say so too', async () => {
    const debug = spawnInTerminal(
      `${cp.kubectlPath} --kubeconfig=${cp.adminKubeconfigPath} debug shell -it --image=busybox --container=debugger`,
    );
    await debug.exited;
    expect(debug.stdout()).toContain(
      "ephemeral containers (kubectl debug) are not supported by this node's provider",
    );
    await vi.waitFor(
      async () => {
        const reason = await kubectlOk([
          'get',
          'pod',
          'shell',
          '-o',
          'jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.reason}',
        ]);
        expect(reason).toBe('EphemeralContainersNotSupported');
      },
      { timeout: 15_000, interval: 200 },
    );
    const events = await kubectlOk([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=shell,reason=EphemeralContainersNotSupported',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events).toContain('container "debugger" will not run');
  });

  it('SIGTERM stops it within the grace period with exit code 0, leaving the pod', async () => {
    const sent = Date.now();
    agent.child.kill('SIGTERM');
    const { code, at } = await agent.exited;
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(10_000);
    expect(await kubectlOk(['get', 'pod', 'shell', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).toBe('');
  });
});

describe('virtual-kubelet whose provider never finishes closing', () => {
  async function readyWithHangingClose(nodeName: string, grace: string): Promise<Agent> {
    const agent = await startAgent(nodeName, ['--provider', HANGING_CLOSE, '--shutdown-grace-period', grace]);
    await waitUntilReady(agent, nodeName);
    return agent;
  }

  it('ends at the grace period', async () => {
    const agent = await readyWithHangingClose('vk-cli-grace', '2s');
    const sent = Date.now();
    agent.child.kill('SIGTERM');
    const { code, at } = await agent.exited;
    expect(code).toBe(0);
    expect(at - sent).toBeGreaterThanOrEqual(2_000);
    expect(at - sent).toBeLessThan(5_000);
    expect(agent.log()).toContain('not stopped within the shutdown grace period');
  }, 90_000);

  it('ends at once on a second signal', async () => {
    const agent = await readyWithHangingClose('vk-cli-second', '5m');
    agent.child.kill('SIGTERM');
    await vi.waitFor(() => expect(agent.log()).toContain('"msg":"shutting down"'), {
      timeout: 10_000,
      interval: 50,
    });
    const sent = Date.now();
    agent.child.kill('SIGINT');
    const { code, at } = await agent.exited;
    expect(code).toBe(130);
    expect(at - sent).toBeLessThan(3_000);
    expect(agent.messages()).toEqual(['virtual-kubelet: second SIGINT: exiting without waiting']);
  }, 90_000);
});

describe('virtual-kubelet start-up failures', () => {
  it('a busy --metrics-addr ends the process with exit code 1 and one line, ports released', async () => {
    const busy = createServer();
    await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const agent = await startAgent('vk-cli-busy', [
        '--provider',
        'mock',
        '--metrics-addr',
        `127.0.0.1:${port}`,
      ]);
      const { code } = await agent.exited;
      expect(code).toBe(1);
      expect(agent.messages()).toEqual([
        `virtual-kubelet: starting servers: metrics server cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
      ]);
    } finally {
      busy.close();
    }
  }, 60_000);
});
