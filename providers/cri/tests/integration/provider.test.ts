import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { END_OF_HISTORY, isInvalidInput, isTransient, type LogItem } from '@vkubelet/provider-kit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { signal, startHarness, tempDir, testPod, waitFor, type Harness } from './harness.js';

const BUSYBOX = 'vkubelet.test/busybox:1';

describe('CRI provider against a private containerd', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('runs init containers in order, then the app container, with logs, volumes and env', async () => {
    h.configMaps.set('default/settings', {
      metadata: { name: 'settings' },
      data: { greeting: 'hello from configmap' },
    });
    const pod = testPod('full', {
      volumes: [
        { name: 'shared', emptyDir: {} },
        { name: 'settings', configMap: { name: 'settings' } },
      ],
      initContainers: [
        {
          name: 'first',
          image: BUSYBOX,
          command: ['sh', '-c', 'echo one > /shared/order'],
          volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
        },
        {
          name: 'second',
          image: BUSYBOX,
          command: ['sh', '-c', 'echo two >> /shared/order'],
          volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
        },
      ],
      containers: [
        {
          name: 'main',
          image: BUSYBOX,
          command: ['sh', '-c'],
          args: [
            'cat /shared/order; cat /etc/settings/greeting; echo; echo "GREETING=$GREETING"; pwd; exec sleep 3600',
          ],
          env: [{ name: 'GREETING', value: 'hi' }],
          workingDir: '/tmp',
          resources: { limits: { cpu: '250m', memory: '64Mi' } },
          volumeMounts: [
            { name: 'shared', mountPath: '/shared' },
            { name: 'settings', mountPath: '/etc/settings', readOnly: true },
          ],
        },
      ],
    });
    await h.provider.createPod(pod, { signal: signal() });
    await h.provider.createPod(pod, { signal: signal() }); // idempotent by UID

    const running = await waitFor('pod Running', async () => {
      const status = await h.provider.getPodStatus('default', 'full', { signal: signal() });
      return status.phase === 'Running' && status.containerStatuses?.[0]?.ready ? status : undefined;
    });
    expect(running.podIP).toMatch(
      new RegExp(`^${h.containerd.subnet.split('.').slice(0, 3).join('\\.')}\\.`),
    );
    expect(running.initContainerStatuses?.map(s => s.state?.terminated?.exitCode)).toEqual([0, 0]);
    expect(running.conditions?.find(c => c.type === 'Ready')?.status).toBe('True');
    expect(running.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);

    const text = await waitFor('log lines', async () => {
      const lines = await collect(
        await h.provider.getContainerLogs({ namespace: 'default', name: 'full' }, 'main', {
          follow: false,
          previous: false,
          timestamps: false,
          signal: signal(),
        }),
      );
      const joined = lines.map(l => (l === END_OF_HISTORY ? '' : l.text)).join('\n');
      return joined.includes('/tmp') ? joined : undefined;
    });
    expect(text).toBe('one\ntwo\nhello from configmap\nGREETING=hi\n/tmp');

    // exec through containerd's streaming server
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await h.provider.runInContainer(
      { namespace: 'default', name: 'full' },
      'main',
      ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo $GREETING; exit 3'],
      { stdout, tty: false },
      { signal: signal() },
    );
    expect(code).toBe(3);
    expect(Buffer.concat(chunks).toString()).toBe(`${64 * 1024 * 1024}\nhi\n`);

    const sandboxId = (await h.containerd.ctr(['containers', 'ls', '-q'])).trim().split('\n');
    expect(sandboxId.length).toBeGreaterThanOrEqual(2);
    await h.provider.deletePod(pod, { signal: signal() });
    expect(await h.containerd.ctr(['containers', 'ls', '-q'])).toBe('');
    await expect(h.provider.getPod('default', 'full', { signal: signal() })).rejects.toThrow(/not found/);
    const final = h.updates.filter(u => u.metadata?.name === 'full').at(-1);
    expect(
      final?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode,
      JSON.stringify(final?.status),
    ).toBeGreaterThan(0);
    expect(final?.status?.phase).toBe('Failed');
  });

  it('restarts a crashing container with back-off and counts restarts; Never leaves it Failed', async () => {
    const crash = testPod('crash', {
      containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'echo run; exit 2'] }],
    });
    const never = testPod('never', {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'exit 1'] }],
    });
    const done = testPod('done', {
      restartPolicy: 'OnFailure',
      containers: [{ name: 'c', image: BUSYBOX, command: ['true'] }],
    });
    for (const p of [crash, never, done]) await h.provider.createPod(p, { signal: signal() });

    const restarted = await waitFor('two restarts', async () => {
      const s = await h.provider.getPodStatus('default', 'crash', { signal: signal() });
      return (s.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? s : undefined;
    });
    expect(restarted.phase).toBe('Running');
    expect(restarted.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(2);
    const backoff = await waitFor('CrashLoopBackOff', async () => {
      const s = await h.provider.getPodStatus('default', 'crash', { signal: signal() });
      return s.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    expect(backoff.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/back-off/);
    const previous = await collect(
      await h.provider.getContainerLogs({ namespace: 'default', name: 'crash' }, 'c', {
        follow: false,
        previous: true,
        timestamps: false,
        signal: signal(),
      }),
    );
    expect(previous.filter(l => l !== END_OF_HISTORY).map(l => (l as { text: string }).text)).toEqual([
      'run',
    ]);

    await waitFor(
      'never Failed',
      async () =>
        (await h.provider.getPodStatus('default', 'never', { signal: signal() })).phase === 'Failed',
    );
    await waitFor(
      'done Succeeded',
      async () =>
        (await h.provider.getPodStatus('default', 'done', { signal: signal() })).phase === 'Succeeded',
    );
    expect(
      (await h.provider.getPodStatus('default', 'never', { signal: signal() })).containerStatuses?.[0]
        ?.restartCount,
    ).toBe(0);
    for (const p of [crash, never, done]) await h.provider.deletePod(p, { signal: signal() });
  });

  it('reports ErrImagePull then ImagePullBackOff for an image it cannot pull', async () => {
    const pod = testPod('nopull', {
      containers: [{ name: 'c', image: '127.0.0.1:1/missing:1', imagePullPolicy: 'IfNotPresent' }],
    });
    await h.provider.createPod(pod, { signal: signal() });
    const seen = new Set<string>();
    await waitFor('ImagePullBackOff', async () => {
      const s = await h.provider.getPodStatus('default', 'nopull', { signal: signal() });
      const reason = s.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason) seen.add(reason);
      return reason === 'ImagePullBackOff' ? s : undefined;
    });
    expect([...seen]).toContain('ImagePullBackOff');
    expect((await h.provider.getPodStatus('default', 'nopull', { signal: signal() })).phase).toBe('Pending');
    await h.provider.deletePod(pod, { signal: signal() });
  });

  it('restarts a container with its new image when updatePod changes it', async () => {
    const pod = testPod('update', {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    await h.provider.createPod(pod, { signal: signal() });
    await waitFor(
      'running',
      async () =>
        (await h.provider.getPodStatus('default', 'update', { signal: signal() })).phase === 'Running',
    );
    const updated = structuredClone(pod);
    updated.metadata!.annotations = { note: 'new' };
    updated.spec!.containers[0]!.image = 'vkubelet.test/pause:1';
    await h.provider.updatePod(updated, { signal: signal() });
    const status = await waitFor('restarted with the new image', async () => {
      const s = await h.provider.getPodStatus('default', 'update', { signal: signal() });
      const c = s.containerStatuses?.[0];
      return c?.image === 'vkubelet.test/pause:1' && c.state?.running && c.restartCount === 1 ? s : undefined;
    });
    expect(status.phase).toBe('Running');
    expect(
      (await h.provider.getPod('default', 'update', { signal: signal() })).metadata?.annotations,
    ).toEqual({ note: 'new' });
    await h.provider.deletePod(pod, { signal: signal() });
  });

  it('fails a pod past its activeDeadlineSeconds and stops its containers', async () => {
    const pod = testPod('deadline', {
      activeDeadlineSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    await h.provider.createPod(pod, { signal: signal() });
    const status = await waitFor('DeadlineExceeded', async () => {
      const s = await h.provider.getPodStatus('default', 'deadline', { signal: signal() });
      return s.reason === 'DeadlineExceeded' && s.containerStatuses?.[0]?.state?.terminated ? s : undefined;
    });
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.restartCount).toBe(0);
    await h.provider.deletePod(pod, { signal: signal() });
  });

  it('reports CPU, memory and pod network in the stats summary', async () => {
    const pod = testPod('stats', {
      containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'while true; do :; done'] }],
    });
    await h.provider.createPod(pod, { signal: signal() });
    const summary = await waitFor('stats with CPU rate and network', async () => {
      const s = await h.provider.getStatsSummary({ signal: signal() });
      const p = s.pods.find(x => x.podRef.name === 'stats');
      return p?.containers[0]?.cpu?.usageNanoCores && p.network ? s : undefined;
    });
    const stats = summary.pods.find(x => x.podRef.name === 'stats')!;
    expect(stats.podRef.uid).toBe(pod.metadata!.uid);
    expect(stats.containers[0]?.name).toBe('c');
    expect(stats.containers[0]?.memory?.workingSetBytes).toBeGreaterThan(0);
    expect(stats.network?.name).toBe('eth0');
    expect(summary.node.memory?.availableBytes).toBeGreaterThan(0);
    await h.provider.deletePod(pod, { signal: signal() });
  });

  it('adopts running pods after a restart and removes everything on delete', async () => {
    const pod = testPod('adopt', { containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] });
    await h.provider.createPod(pod, { signal: signal() });
    await waitFor(
      'running',
      async () =>
        (await h.provider.getPodStatus('default', 'adopt', { signal: signal() })).phase === 'Running',
    );
    // A restart: the first agent is gone before the second adopts (two agents of one node would fight).
    await h.provider.close();
    const second = await h.newProvider();
    try {
      const pods = await second.getPods({ signal: signal() });
      const adopted = pods.find(p => p.metadata?.name === 'adopt');
      expect(adopted?.spec?.containers[0]?.command).toEqual(['sleep', '3600']);
      expect(adopted?.status?.phase).toBe('Running');
      const podDir = `${h.containerd.podRoot}/${pod.metadata!.uid}`;
      expect(existsSync(podDir)).toBe(true);
      await second.deletePod(pod, { signal: signal() });
      expect(existsSync(podDir)).toBe(false);
      expect(await h.containerd.ctr(['containers', 'ls', '-q'])).toBe('');
    } finally {
      await second.close();
    }
  });
});

async function collect(items: AsyncIterable<LogItem>): Promise<LogItem[]> {
  const out: LogItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('CRI provider volumes and host network', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('writes secret, downwardAPI and projected volumes, mounts hostPath, and runs host-network pods', async () => {
    const hostDir = await tempDir();
    onTestFinished(() => rm(hostDir, { recursive: true, force: true }));
    await writeFile(join(hostDir, 'from-host'), 'host file\n');
    h.secrets.set('default/creds', {
      metadata: { name: 'creds' },
      data: { user: Buffer.from('admin').toString('base64'), pass: Buffer.from('s3cret').toString('base64') },
    });
    h.configMaps.set('default/cfg', { metadata: { name: 'cfg' }, data: { mode: 'fast' } });
    const pod = testPod('volumes', {
      hostNetwork: true,
      volumes: [
        {
          name: 'secret',
          secret: {
            secretName: 'creds',
            items: [{ key: 'user', path: 'nested/username' }],
            defaultMode: 0o400,
          },
        },
        {
          name: 'downward',
          downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] },
        },
        {
          name: 'projected',
          projected: {
            sources: [
              { configMap: { name: 'cfg' } },
              { secret: { name: 'creds', items: [{ key: 'pass', path: 'password' }] } },
              { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
        { name: 'host', hostPath: { path: hostDir } },
      ],
      containers: [
        {
          name: 'c',
          image: BUSYBOX,
          command: [
            'sh',
            '-c',
            'cat /s/nested/username; echo; stat -c %a /s/nested/username; cat /d/name; echo; cat /p/mode /p/password /p/ns; echo; cat /h/from-host; hostname; exec sleep 3600',
          ],
          volumeMounts: [
            { name: 'secret', mountPath: '/s' },
            { name: 'downward', mountPath: '/d' },
            { name: 'projected', mountPath: '/p', readOnly: true },
            { name: 'host', mountPath: '/h' },
          ],
        },
      ],
    });
    await h.provider.createPod(pod, { signal: signal() });
    const text = await waitFor('volume contents in the log', async () => {
      const items = await collect(
        await h.provider.getContainerLogs({ namespace: 'default', name: 'volumes' }, 'c', {
          follow: false,
          previous: false,
          timestamps: false,
          signal: signal(),
        }),
      );
      const lines = items.filter(i => i !== END_OF_HISTORY).map(i => (i as { text: string }).text);
      return lines.length >= 6 ? lines : undefined;
    });
    expect(text).toEqual(['admin', '400', 'volumes', 'fasts3cretdefault', 'host file', hostname()]);
    const status = await h.provider.getPodStatus('default', 'volumes', { signal: signal() });
    expect(status.phase).toBe('Running');
    await h.provider.deletePod(pod, { signal: signal() });
    expect(existsSync(join(h.containerd.podRoot, pod.metadata!.uid!))).toBe(false);
    expect(existsSync(join(hostDir, 'from-host'))).toBe(true);
  });

  it('refuses a missing secret as transient and a volume type it cannot write as invalid', async () => {
    const missing = testPod('missing', {
      volumes: [{ name: 's', secret: { secretName: 'nope' } }],
      containers: [{ name: 'c', image: BUSYBOX, volumeMounts: [{ name: 's', mountPath: '/s' }] }],
    });
    await expect(h.provider.createPod(missing, { signal: signal() })).rejects.toSatisfy(isTransient);
    expect(existsSync(join(h.containerd.podRoot, missing.metadata!.uid!))).toBe(false);
    const unsupported = testPod('nfs', {
      volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }],
      containers: [{ name: 'c', image: BUSYBOX }],
    });
    await expect(h.provider.createPod(unsupported, { signal: signal() })).rejects.toSatisfy(isInvalidInput);
  });
});
