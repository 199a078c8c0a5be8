import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { startContainerd, type Containerd } from '@vkubelet/containerd';
import { isTransient } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CriClient } from '../../src/cri/client.js';
import type { ContainerStatus, PodSandbox } from '../../src/cri/types.js';
import { criInventory } from '../../src/inventory.js';
import { CriProvider } from '../../src/provider.js';
import { signal, testConfig, testPod, waitFor } from './harness.js';

const BUSYBOX = 'vkubelet.test/busybox:1';
const NODE = 'cri-test-node';
const agentProcess = fileURLToPath(new URL('./support/agent-process.ts', import.meta.url));
// The test environment's hook lets Node run the TypeScript sources: "./x.js" is retried as "./x.ts".
const tsResolveHook = fileURLToPath(
  new URL('../../../../tools/testenv/tests/fixtures/ts-resolve.mjs', import.meta.url),
);

/** SIGKILLs the shim of one sandbox of `containerd` (its command line names the socket and the id). */
async function killShimOf(containerd: Containerd, sandboxId: string): Promise<number> {
  let killed = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const id = args[args.indexOf('-id') + 1];
    if (
      args[0]?.endsWith('containerd-shim-runc-v2') &&
      args.includes(containerd.socketPath) &&
      id === sandboxId
    ) {
      process.kill(Number(pid), 'SIGKILL');
      killed += 1;
    }
  }
  return killed;
}

/** A private containerd and a client on it, for the tests of one describe block. */
function privateContainerd(): { containerd: Containerd; cri: CriClient } {
  const env = {} as { containerd: Containerd; cri: CriClient };
  beforeAll(async () => {
    env.containerd = await startContainerd();
    env.cri = new CriClient(env.containerd.endpoint);
  });
  afterAll(async () => {
    env.cri?.close();
    await env.containerd?.stop();
  });
  return env;
}

/**
 * The agent dies at each containerd step of a pod's start (a real process, SIGKILLed), and a new
 * agent on the same containerd adopts the pod: it converges to Running with exactly one sandbox and
 * no restart counted for the agent's death. And the pause task killed while no agent runs: a new
 * sandbox, the container restarted once.
 */
describe('CRI provider: the agent killed in the middle of a pod start', () => {
  const env = privateContainerd();

  /** Runs an agent process that creates `pod` and dies at `fault`; resolves with how it ended. */
  async function agentDiesAt(pod: V1Pod, fault: string): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--conditions=@vkubelet/source',
        '--import',
        tsResolveHook,
        agentProcess,
        JSON.stringify(testConfig(env.containerd)),
        JSON.stringify(pod),
        fault,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve =>
      child.once('exit', (exitCode, signalCode) => resolve([exitCode, signalCode])),
    );
    expect(killedBy, `agent exited with ${code} instead of dying at ${fault}: ${stderr}`).toBe('SIGKILL');
  }

  const sandboxesOf = (pod: V1Pod): Promise<PodSandbox[]> =>
    env.cri.listPodSandbox({ 'io.kubernetes.pod.uid': pod.metadata!.uid! });
  const containersOf = async (pod: V1Pod): Promise<ContainerStatus[]> => {
    const listed = await env.cri.listContainers({
      label_selector: { 'io.kubernetes.pod.uid': pod.metadata!.uid! },
    });
    return Promise.all(listed.map(c => env.cri.containerStatus(c.id)));
  };

  /** A new agent adopts what the dead one left, core creates the pod again, and it converges. */
  async function restartedAgentConverges(pod: V1Pod): Promise<{ status: V1PodStatus; sandbox: PodSandbox }> {
    const provider = await CriProvider.create(
      fakeProviderContext({ nodeName: NODE, internalIP: '127.0.0.1' }),
      testConfig(env.containerd),
    );
    try {
      await provider.createPod(pod, { signal: signal() });
      // Converged: Running as reported, and in containerd one ready sandbox with one running container.
      const { status, sandbox } = await waitFor(
        'pod Running in one ready sandbox',
        async () => {
          const s = await provider.getPodStatus('default', pod.metadata!.name!, { signal: signal() });
          const sandboxes = await sandboxesOf(pod);
          const live = (await containersOf(pod)).filter(c => c.state === 'CONTAINER_RUNNING');
          const converged =
            s.phase === 'Running' &&
            s.containerStatuses?.[0]?.state?.running &&
            sandboxes.length === 1 &&
            sandboxes[0]?.state === 'SANDBOX_READY' &&
            live.length === 1;
          return converged ? { status: s, sandbox: sandboxes[0]! } : undefined;
        },
        30_000,
      );
      await provider.deletePod(pod, { signal: signal() });
      expect(await sandboxesOf(pod)).toEqual([]);
      return { status, sandbox };
    } finally {
      await provider.close();
    }
  }

  const sleeper = (name: string, restartPolicy: 'Always' | 'Never') =>
    testPod(name, { restartPolicy, containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] });

  it('after RunPodSandbox: the new agent starts the container in that sandbox', async () => {
    const pod = sleeper('after-sandbox', 'Always');
    await agentDiesAt(pod, 'after:runPodSandbox');
    const [sandbox] = await sandboxesOf(pod);
    expect(sandbox?.state).toBe('SANDBOX_READY');
    expect(await containersOf(pod)).toEqual([]);
    const { status, sandbox: after } = await restartedAgentConverges(pod);
    expect(after.id).toBe(sandbox!.id);
    expect(status.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  for (const restartPolicy of ['Always', 'Never'] as const) {
    it(`after CreateContainer (${restartPolicy}): the container left created is created again, no restart`, async () => {
      const pod = sleeper(`after-create-${restartPolicy.toLowerCase()}`, restartPolicy);
      await agentDiesAt(pod, 'after:createContainer');
      expect((await containersOf(pod)).map(c => c.state)).toEqual(['CONTAINER_CREATED']);
      const { status } = await restartedAgentConverges(pod);
      expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 0, lastState: {} });
    });

    it(`during StartContainer (${restartPolicy}): the start cut short is no failure, no restart`, async () => {
      const pod = sleeper(`during-start-${restartPolicy.toLowerCase()}`, restartPolicy);
      await agentDiesAt(pod, 'during:startContainer:20');
      const [left] = await containersOf(pod);
      // containerd is still unwinding the start (CREATED), or has ended it with its request.
      expect(
        left?.state === 'CONTAINER_CREATED' ||
          (left?.state === 'CONTAINER_EXITED' && left.reason === 'StartError'),
        `containerd reports ${left?.state} ${left?.reason} ${left?.message}`,
      ).toBe(true);
      const { status } = await restartedAgentConverges(pod);
      expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 0, lastState: {} });
    });
  }

  it('the pause task killed while no agent runs: a new sandbox, the container restarted once', async () => {
    const pod = sleeper('pause-killed', 'Always');
    const first = await CriProvider.create(
      fakeProviderContext({ nodeName: NODE, internalIP: '127.0.0.1' }),
      testConfig(env.containerd),
    );
    try {
      await first.createPod(pod, { signal: signal() });
      await waitFor(
        'running',
        async () =>
          (await first.getPodStatus('default', 'pause-killed', { signal: signal() })).containerStatuses?.[0]
            ?.state?.running,
      );
    } finally {
      await first.close();
    }
    const [sandbox] = await sandboxesOf(pod);
    await env.containerd.ctr(['tasks', 'kill', '-s', 'SIGKILL', sandbox!.id]);
    await waitFor(
      'sandbox not ready',
      async () => (await env.cri.podSandboxStatus(sandbox!.id)).state === 'SANDBOX_NOTREADY',
    );
    const { status, sandbox: replacement } = await restartedAgentConverges(pod);
    expect(replacement.metadata.attempt).toBe(1);
    expect(status.containerStatuses?.[0]).toMatchObject({ restartCount: 1 });
    expect(status.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
  });
});

/**
 * containerd itself goes away: the agent waits for it (at start-up and while running), the node's
 * Ready condition says why, and pods are neither failed nor restarted for it.
 */
describe('CRI provider: containerd away and back', () => {
  const env = privateContainerd();

  const newAgent = () =>
    CriProvider.create(
      fakeProviderContext({ nodeName: NODE, internalIP: '127.0.0.1' }),
      testConfig(env.containerd),
    );
  const status = (provider: CriProvider, pod: V1Pod) =>
    provider.getPodStatus('default', pod.metadata!.name!, { signal: signal() });
  const runningOnce = async (provider: CriProvider, pod: V1Pod) =>
    waitFor(`${pod.metadata!.name} running`, async () => {
      const s = await status(provider, pod);
      return s.phase === 'Running' && s.containerStatuses?.[0]?.state?.running ? s : undefined;
    });

  it('rides out a containerd restart: pods keep running, unrestarted; a create meanwhile is transient', async () => {
    const provider = await newAgent();
    try {
      const always = testPod('ride-always', {
        containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
      });
      const never = testPod('ride-never', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
      });
      for (const pod of [always, never]) await provider.createPod(pod, { signal: signal() });
      for (const pod of [always, never]) await runningOnce(provider, pod);

      await env.containerd.kill();
      await waitFor('ping failing with the endpoint', () =>
        provider.ping({ signal: signal() }).then(
          () => undefined,
          (error: Error) =>
            error.message.includes(`the CRI runtime at ${env.containerd.endpoint} is not reachable`),
        ),
      );
      const late = testPod('ride-late', {
        containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
      });
      await expect(provider.createPod(late, { signal: AbortSignal.timeout(2_000) })).rejects.toSatisfy(
        isTransient,
      );
      for (const pod of [always, never]) expect((await status(provider, pod)).phase).toBe('Running');

      await env.containerd.start();
      await waitFor('ping healthy again', () => provider.ping({ signal: signal() }).then(() => true));
      await provider.createPod(late, { signal: signal() });
      await runningOnce(provider, late);
      const inventory = await criInventory(env.cri, NODE);
      for (const pod of [always, never, late]) {
        const s = await status(provider, pod);
        expect(s.phase).toBe('Running');
        expect(s.containerStatuses?.[0]?.restartCount).toBe(0);
        const held = inventory.get(pod.metadata!.uid!);
        expect(held?.sandboxes.map(x => x.state)).toEqual(['SANDBOX_READY']);
        expect(held?.containers.map(x => x.state)).toEqual(['CONTAINER_RUNNING']);
      }
      for (const pod of [always, never, late]) await provider.deletePod(pod, { signal: signal() });
      expect(await criInventory(env.cri, NODE)).toEqual(new Map());
    } finally {
      await provider.close();
    }
  });

  it('a task containerd lost across its restart (255, Unknown): a Never pod created again, not failed', async () => {
    const pod = testPod('lost-task', {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    const first = await newAgent();
    try {
      await first.createPod(pod, { signal: signal() });
      await runningOnce(first, pod);
    } finally {
      await first.close();
    }
    const [sandbox] = (await criInventory(env.cri, NODE)).get(pod.metadata!.uid!)!.sandboxes;

    // The pod's shim dies while containerd is down: on its restart containerd cannot reach it, cleans
    // up after it (the container killed) and finds the container running in its records, its task gone.
    await env.containerd.kill();
    expect(await killShimOf(env.containerd, sandbox!.id)).toBe(1);
    await env.containerd.start();
    const [lost] = await env.cri.listContainers({ pod_sandbox_id: sandbox!.id });
    expect(await env.cri.containerStatus(lost!.id)).toMatchObject({
      state: 'CONTAINER_EXITED',
      exit_code: 255,
      reason: 'Unknown',
    });

    const provider = await newAgent();
    try {
      const phases: string[] = [];
      provider.notifyPods(p => phases.push(p.status?.phase ?? ''));
      const s = await runningOnce(provider, pod);
      const held = (await criInventory(env.cri, NODE)).get(pod.metadata!.uid!);
      expect(held?.sandboxes.map(x => x.state)).toEqual(['SANDBOX_READY']);
      expect(held?.containers.map(x => x.state)).toEqual(['CONTAINER_RUNNING']);
      expect(s.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(phases).not.toContain('Failed');
      await provider.deletePod(pod, { signal: signal() });
    } finally {
      await provider.close();
    }
  });

  it('starts before containerd: waits, says why, then adopts what runs', async () => {
    const first = await newAgent();
    const pod = testPod('early', { containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] });
    try {
      await first.createPod(pod, { signal: signal() });
      await runningOnce(first, pod);
    } finally {
      await first.close();
    }
    await env.containerd.kill();
    const started = Date.now();
    const provider = await newAgent();
    try {
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(provider.ping({ signal: signal() })).rejects.toThrow(
        `the CRI runtime at ${env.containerd.endpoint} is not reachable`,
      );
      await expect(provider.getPods({ signal: AbortSignal.timeout(1_000) })).rejects.toThrow(
        env.containerd.endpoint,
      );
      await env.containerd.start();
      const pods = await provider.getPods({ signal: signal() });
      expect(pods.map(p => p.metadata?.uid)).toEqual([pod.metadata!.uid]);
      const s = await runningOnce(provider, pod);
      expect(s.containerStatuses?.[0]?.restartCount).toBe(0);
      await provider.ping({ signal: signal() });
      await provider.deletePod(pod, { signal: signal() });
    } finally {
      await provider.close();
    }
  });
});
