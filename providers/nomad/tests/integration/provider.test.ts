import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import type { V1Node } from '@kubernetes/client-node';
import { startNomadEmulator, type NomadEmulator } from '@vkubelet/nomad-emulator';
import { errorMessage, isInvalidInput, isNotFound, isTransient } from '@vkubelet/provider-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { NomadPermissionError } from '../../src/nomad/errors.js';
import type { NomadProvider } from '../../src/provider.js';
import { call, NODE, nomadProvider, recordRequests, shell, statusWhen, testPod } from './harness.js';

let nomad: NomadEmulator;
const providers: NomadProvider[] = [];

async function provider(
  config: Parameters<typeof nomadProvider>[1] = {},
  node?: string,
): Promise<NomadProvider> {
  const created = await nomadProvider(nomad, config, node);
  providers.push(created);
  return created;
}

async function nomadGet<T>(path: string): Promise<T> {
  const response = await fetch(`${nomad.address}${path}`, { headers: { 'X-Nomad-Token': nomad.token } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  nomad = await startNomadEmulator({ namespaces: ['team'], region: 'eu' });
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map(p => p.close()));
});

afterAll(async () => {
  await nomad?.stop();
});

describe('Nomad provider against the emulator', () => {
  it('registers the job in the configured namespace and region, and purges it on delete', async () => {
    const p = await provider({ namespace: 'team', region: 'eu' });
    const pod = testPod('shape', [shell('app', 'echo hi; sleep 3600')], { restartPolicy: 'OnFailure' });
    await p.createPod(pod, call());
    const status = await statusWhen(p, pod, s => s.phase === 'Running');
    expect(status.podIP).toMatch(/^172\.26\./);
    const job = await nomadGet<{ ID: string; Type: string; Region: string; Meta: Record<string, string> }>(
      '/v1/job/vk.default.shape?namespace=team',
    );
    expect(job).toMatchObject({ ID: 'vk.default.shape', Type: 'batch', Region: 'eu' });
    expect(job.Meta).toMatchObject({ vkubelet_pod_uid: pod.metadata!.uid, vkubelet_node: NODE });
    await p.deletePod(pod, call());
    await expect.poll(() => p.getPods(call()).then(pods => pods.length)).toBe(0);
    expect(nomad.listResources().filter(r => r.includes('vk.default.shape'))).toEqual([]);
  });

  it('an idle node makes only blocking queries: one long poll per followed list and wait', async () => {
    const p = await provider({ blockingWaitMs: 1_000 });
    const pod = testPod('idle', [shell('app', 'sleep 3600')]);
    await p.createPod(pod, call());
    await statusWhen(p, pod, s => s.phase === 'Running');
    await sleep(300);
    const recording = recordRequests();
    await sleep(3_500);
    recording.stop();
    const requests = recording.requests;
    const blocking = requests.filter(r => r.method === 'GET' && /[?&]index=[1-9]\d*/.test(r.path));
    expect(requests.map(r => r.path.split('?')[0]).sort()).toEqual(
      blocking.map(r => r.path.split('?')[0]).sort(),
    );
    // Jobs, allocations and nodes, each answered after its 1 s wait (plus Nomad's jitter).
    expect(new Set(blocking.map(r => r.path.split('?')[0]))).toEqual(
      new Set(['/v1/jobs', '/v1/allocations', '/v1/nodes']),
    );
    expect(requests.length).toBeLessThanOrEqual(3 * 4);
    await p.deletePod(pod, call());
  });

  it('a token Nomad refuses is a config error at start; one without write fails the create naming the token', async () => {
    const refused = await nomadProvider(nomad, { token: 'not-a-token' }).catch((error: unknown) => error);
    expect(isInvalidInput(refused)).toBe(true);
    expect(errorMessage(refused)).toContain('the ACL token (NOMAD_TOKEN) is unknown or lacks the capability');
    const reader = nomad.createToken({ namespaces: { default: 'read' }, node: 'read' });
    const p = await provider({ token: reader });
    const error = await p
      .createPod(testPod('denied', [shell('app', 'sleep 1')]), call())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NomadPermissionError);
    expect(errorMessage(error)).toMatch(/^nomad register job: Permission denied: the ACL token/);
  });

  it('an unknown region is refused by Nomad and reported as such', async () => {
    const error = await nomadProvider(nomad, { region: 'mars' }).catch((e: unknown) => e);
    expect(isTransient(error)).toBe(true);
    expect(errorMessage(error)).toBe('nomad list nodes: No path to region');
  });

  it('logs (stdout and stderr), follow, exec with stdin and exit code, stats', async () => {
    const p = await provider();
    const pod = testPod('streams', [shell('app', 'echo out; echo err >&2; sleep 1; echo later; sleep 3600')]);
    await p.createPod(pod, call());
    await statusWhen(p, pod, s => s.phase === 'Running');
    const ref = { namespace: 'default', name: 'streams', uid: pod.metadata!.uid! };
    const base = { timestamps: false, previous: false };
    const lines: string[] = [];
    const follow = new AbortController();
    for await (const item of await p.getContainerLogs(ref, 'app', {
      ...base,
      follow: true,
      signal: follow.signal,
    })) {
      lines.push(typeof item === 'symbol' ? '--' : `${item.stream}:${item.text}`);
      if (lines.includes('stdout:later')) follow.abort();
    }
    expect(lines).toEqual(['stdout:out', 'stderr:err', '--', 'stdout:later']);

    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stdin.end('from stdin\n');
    const code = await p.runInContainer(
      ref,
      'app',
      ['sh', '-c', 'cat; exit 7'],
      { stdin, stdout, tty: false },
      call(),
    );
    expect(code).toBe(7);
    expect(text).toBe('from stdin\n');
    await expect(p.runInContainer(ref, 'nope', ['true'], { tty: false }, call())).rejects.toSatisfy(
      isNotFound,
    );

    const summary = await p.getStatsSummary(call());
    const stats = summary.pods.find(s => s.podRef.uid === ref.uid)!;
    expect(stats.containers.map(c => c.name)).toEqual(['app']);
    expect(stats.containers[0]!.cpu?.usageCoreNanoSeconds).toBeGreaterThan(0);
    expect(stats.containers[0]!.memory?.workingSetBytes).toBeGreaterThan(0);
    await p.deletePod(pod, call());
  });

  it('a lost allocation is replaced: the container restarted, its last run lost with the node', async () => {
    const p = await provider();
    const pod = testPod('lost', [shell('app', 'echo run; sleep 3600')]);
    await p.createPod(pod, call());
    const first = await statusWhen(p, pod, s => s.phase === 'Running');
    const [alloc] = await nomadGet<Array<{ ID: string }>>('/v1/job/vk.default.lost/allocations');
    nomad.faults.loseAllocation(alloc!.ID);
    const replaced = await statusWhen(
      p,
      pod,
      s =>
        s.containerStatuses?.[0]?.restartCount === 1 && s.containerStatuses[0].state?.running !== undefined,
    );
    expect(replaced.phase).toBe('Running');
    expect(replaced.containerStatuses![0]!.lastState?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'NodeLost',
    });
    expect(replaced.podIP).not.toBe(first.podIP);
    // The previous run is the lost allocation's log; the current run's is the replacement's.
    const ref = { namespace: 'default', name: 'lost' };
    const read = async (previous: boolean) => {
      const texts: string[] = [];
      for await (const item of await p.getContainerLogs(ref, 'app', {
        timestamps: false,
        follow: false,
        previous,
        ...call(),
      }))
        if (typeof item !== 'symbol') texts.push(item.text);
      return texts;
    };
    expect(await read(true)).toEqual(['run']);
    expect(await read(false)).toEqual(['run']);
    for (const node of nomad.nodes()) nomad.faults.restoreNode(node.ID);
    await p.deletePod(pod, call());
  });

  it('a job purged or stopped behind its back ends the pod with a reason', async () => {
    const p = await provider();
    const purged = testPod('purged', [shell('app', 'sleep 3600')]);
    const stopped = testPod('stopped', [shell('app', 'sleep 3600')]);
    await Promise.all([p.createPod(purged, call()), p.createPod(stopped, call())]);
    await statusWhen(p, purged, s => s.phase === 'Running');
    await statusWhen(p, stopped, s => s.phase === 'Running');
    nomad.faults.deregisterJob('vk.default.purged', { purge: true });
    nomad.faults.deregisterJob('vk.default.stopped');
    expect(await statusWhen(p, purged, s => s.phase === 'Failed')).toMatchObject({ reason: 'NotFound' });
    expect(await statusWhen(p, stopped, s => s.phase === 'Failed' || s.phase === 'Succeeded')).toMatchObject({
      reason: 'JobStopped',
      message: 'the Nomad job vk.default.stopped was stopped outside Kubernetes',
    });
    await p.deletePod(purged, call());
    await p.deletePod(stopped, call());
  });

  it('a restarted agent adopts its jobs by Meta and registers nothing', async () => {
    const first = await provider();
    const pod = testPod('adopt', [shell('app', 'sleep 3600')], { initContainers: [shell('init', 'exit 0')] });
    await first.createPod(pod, call());
    await statusWhen(first, pod, s => s.phase === 'Running');
    await first.close();
    // Another node's job is not adopted.
    const other = await provider({}, 'vk-other');
    const foreign = testPod('foreign', [shell('app', 'sleep 3600')]);
    await other.createPod(foreign, call());

    const recording = recordRequests();
    const second = await provider();
    const [adopted] = await second.getPods(call());
    expect((await second.getPods(call())).map(p => p.metadata?.name)).toEqual(['adopt']);
    expect(adopted!.metadata?.uid).toBe(pod.metadata!.uid);
    expect(adopted!.spec?.initContainers?.map(c => c.name)).toEqual(['init']);
    expect(adopted!.status?.phase).toBe('Running');
    // Core creates every pod again after a restart: found, not registered twice.
    await second.createPod(pod, call());
    recording.stop();
    expect(recording.requests.filter(r => r.method !== 'GET')).toEqual([]);
    await second.deletePod(pod, call());
    await other.deletePod(foreign, call());
  });

  it('waits for an older pod of the same name to stop before registering its job again', async () => {
    // Two agents of one node (one started before the older pod existed, so it did not adopt it).
    const q = await provider();
    const p = await provider();
    const older = testPod('reused', [shell('app', 'sleep 3600')]);
    await p.createPod(older, call());
    await statusWhen(p, older, s => s.phase === 'Running');
    const newer = testPod('reused', [shell('app', 'sleep 3600')]);
    const waiting = await q.createPod(newer, call()).catch((e: unknown) => e);
    expect(isTransient(waiting)).toBe(true);
    expect(errorMessage(waiting)).toBe(
      `nomad: job vk.default.reused still runs pod UID ${older.metadata!.uid}; waiting for it to stop`,
    );
    // Another node's pod of that name is never taken over.
    const stranger = await provider({}, 'vk-other');
    const refused = await stranger
      .createPod(testPod('reused', [shell('app', 'sleep 1')]), call())
      .catch((e: unknown) => e);
    expect(isInvalidInput(refused)).toBe(true);
    expect(errorMessage(refused)).toContain(`belongs to a pod of node ${NODE}`);
    await p.deletePod(older, call());
    await expect.poll(() => p.getPods(call()).then(pods => pods.length)).toBe(0);
    await q.createPod(newer, call());
    await statusWhen(q, newer, s => s.phase === 'Running');
    await q.deletePod(newer, call());
  });

  it('advertises the clients of its datacenters and follows them; ping reads the agent health', async () => {
    const p = await provider({ datacenters: ['dc1'] });
    const node: V1Node = { status: {} };
    p.configureNode(node);
    expect(node.status?.capacity).toMatchObject({ cpu: '8000m', memory: '32768Mi', pods: '220' });
    const pushed: V1Node[] = [];
    p.notifyNodeStatus(update => pushed.push(update));
    nomad.addNode({ name: 'extra', cores: 2, cpuMHz: 4000, memoryMB: 8192 });
    nomad.addNode({ name: 'elsewhere', datacenter: 'dc9' });
    await expect.poll(() => pushed.at(-1)?.status?.capacity?.['memory']).toBe('40960Mi');
    expect(pushed.at(-1)?.status?.capacity).toMatchObject({ cpu: '10000m', pods: '330' });

    await p.ping(call());
    nomad.faults.setLeader(false);
    try {
      await expect(p.ping(call())).rejects.toThrow(/No cluster leader/);
    } finally {
      nomad.faults.clear();
    }
  });
});
