// Start/stop behaviour of the launcher: parallel instances, teardown on every way a test process can
// end, and clear errors when a component cannot start.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { errorMessage } from '@vkubelet/provider-kit';
import { ComponentStartError, MissingBinaryError, startControlPlane } from '../../src/index.js';
import { eventually, processesMentioning, statusOf, uniqueName } from './helpers.js';

const fixture = fileURLToPath(new URL('../fixtures/hold-control-plane.mjs', import.meta.url));
const tsResolveHook = fileURLToPath(new URL('../fixtures/ts-resolve.mjs', import.meta.url));
const cliSource = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function coreClient(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

/** Runs the fixture in a child process and resolves with the child and the control plane's dir. */
async function controlPlaneInChild(how: 'throw' | 'wait', name: string) {
  const child = spawn(process.execPath, ['--import', tsResolveHook, fixture, how, name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>(resolveExit => child.once('exit', code => resolveExit(code)));
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>(resolveLine => lines.once('line', resolveLine)),
    exited.then(code => {
      throw new Error(`fixture exited with ${code} before it was ready:\n${stderr}`);
    }),
  ]);
  return { child, exited, dir: (JSON.parse(first) as { dir: string }).dir };
}

describe('control plane lifecycle', () => {
  it('runs two instances at once, isolated from each other, and stop() leaves nothing behind', async () => {
    const names = [uniqueName('twin-a'), uniqueName('twin-b')];
    const [a, b] = await Promise.all(
      names.map(name => startControlPlane({ name, scheduler: false, controllerManager: false })),
    );
    try {
      expect(a!.server).not.toBe(b!.server);
      await coreClient(a!.adminKubeconfigPath).createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'only-in-a' } },
      });
      expect(
        await statusOf(
          coreClient(b!.adminKubeconfigPath).readNamespacedConfigMap({
            name: 'only-in-a',
            namespace: 'default',
          }),
        ),
      ).toBe(404);
      for (const name of names) expect(processesMentioning(name).length).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all([a!.stop(), b!.stop()]);
    }
    for (const name of names) expect(processesMentioning(name)).toEqual([]);
    expect(existsSync(a!.dir)).toBe(false);
    expect(existsSync(b!.dir)).toBe(false);
  });

  it('tears everything down when the test process dies of an uncaught error', async () => {
    const name = uniqueName('crash');
    const { exited, dir } = await controlPlaneInChild('throw', name);
    expect(await exited).not.toBe(0);
    expect(processesMentioning(name)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('tears everything down on SIGTERM', async () => {
    const name = uniqueName('sigterm');
    const { child, exited, dir } = await controlPlaneInChild('wait', name);
    child.kill('SIGTERM');
    await exited;
    expect(processesMentioning(name)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('tears everything down through the watchdog when the test process is SIGKILLed', async () => {
    const name = uniqueName('sigkill');
    const { child, exited, dir } = await controlPlaneInChild('wait', name);
    expect(processesMentioning(name).length).toBeGreaterThanOrEqual(3); // etcd, apiserver, watchdog
    child.kill('SIGKILL');
    await exited;
    await eventually(
      'the watchdog to clean up',
      async () => (processesMentioning(name).length === 0 ? true : undefined),
      10_000,
    );
    await eventually('the directory to be removed', async () => (existsSync(dir) ? undefined : true), 5_000);
  });

  it('reports a component that exits during start-up with its exit code and log, and cleans up', async () => {
    const name = uniqueName('badflag');
    const error = await startControlPlane({
      name,
      scheduler: false,
      controllerManager: false,
      apiServerFlags: ['--no-such-flag=1'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentStartError);
    expect((error as ComponentStartError).component).toBe('kube-apiserver');
    expect(errorMessage(error)).toMatch(/kube-apiserver exited with code 1 before GET \/readyz/);
    expect(errorMessage(error)).toMatch(/unknown flag: --no-such-flag/);
    expect(processesMentioning(name)).toEqual([]);
  });

  it('reports a component that does not get ready in time', async () => {
    const name = uniqueName('slow');
    const error = await startControlPlane({ name, readyTimeoutMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentStartError);
    expect(errorMessage(error)).toMatch(
      /^etcd did not become ready \(GET \/health\) within 1 ms; last probe: /,
    );
    expect(processesMentioning(name)).toEqual([]);
  });

  it('runs "vkubelet-testenv up" until SIGTERM, with working kubeconfigs that it removes again', async () => {
    const name = uniqueName('cli');
    const scratch = mkdtempSync(join(tmpdir(), 'vkubelet-cli-'));
    const kubeconfig = join(scratch, 'kubeconfig');
    const nodeKubeconfig = join(scratch, 'vk-0.kubeconfig');
    try {
      const child = spawn(
        process.execPath,
        [
          '--import',
          tsResolveHook,
          cliSource,
          'up',
          '--name',
          name,
          '--kubeconfig',
          kubeconfig,
          '--node',
          'vk-0',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>(resolveExit => child.once('exit', code => resolveExit(code)));
      const lines: string[] = [];
      await new Promise<void>(resolveLines =>
        createInterface({ input: child.stdout }).on('line', line => {
          lines.push(line);
          if (line.startsWith('KUBECONFIG=')) resolveLines();
        }),
      );
      expect(lines[0]).toBe(`NODE_KUBECONFIG=${nodeKubeconfig}`);
      expect(lines.at(-1)).toBe(`KUBECONFIG=${kubeconfig}`);
      expect(existsSync(nodeKubeconfig)).toBe(true);
      const namespaces = (await coreClient(kubeconfig).listNamespace()).items.map(ns => ns.metadata?.name);
      expect(namespaces).toContain('kube-node-lease');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The node kubeconfig holds the node's client key: nothing of it stays behind.
      expect(existsSync(kubeconfig)).toBe(false);
      expect(existsSync(nodeKubeconfig)).toBe(false);
      expect(processesMentioning(name)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('fails fast with the build hint when the binaries are missing', async () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'vkubelet-empty-cache-'));
    const saved = process.env['VKUBELET_CACHE'];
    process.env['VKUBELET_CACHE'] = emptyCache;
    try {
      const error = await startControlPlane({ name: uniqueName('nobins') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MissingBinaryError);
      expect(errorMessage(error)).toMatch(
        /etcd not found .* build the control plane first: bash .*k8s\/build\.sh/,
      );
    } finally {
      if (saved === undefined) delete process.env['VKUBELET_CACHE'];
      else process.env['VKUBELET_CACHE'] = saved;
      rmSync(emptyCache, { recursive: true, force: true });
    }
  });
});
