import type { V1Node } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isInvalidInput, isTransient, type ProviderContext } from '../../src/index.js';
import { MockProvider, mockPlugin, parseMockSettings } from '../../src/mock/index.js';
import { fakeProviderContext } from '../../src/testing/index.js';
import { call, makePod, sh, waitForStatus } from './helpers.js';

function context(configPath?: string): ProviderContext {
  return fakeProviderContext({
    nodeName: 'node-a',
    internalIP: '192.0.2.10',
    ...(configPath ? { configPath } : {}),
  });
}

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mock-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function configFile(content: string, extension = 'json'): Promise<string> {
  const path = join(dir, `config-${files++}.${extension}`);
  await writeFile(path, content);
  return path;
}

describe('mock node and plugin', () => {
  it('configures capacity, addresses, conditions and node info from the upstream-shaped config file', async () => {
    const path = await configFile(
      JSON.stringify({
        'node-a': { cpu: '8', memory: '32Gi', pods: 128, others: { 'nvidia.com/gpu': '2' } },
      }),
    );
    const provider = (await mockPlugin.create(context(path))) as MockProvider;
    const node: V1Node = { metadata: { name: 'node-a' } };
    provider.configureNode(node);
    expect(node.status?.capacity).toEqual({ cpu: '8', memory: '32Gi', pods: '128', 'nvidia.com/gpu': '2' });
    expect(node.status?.allocatable).toEqual(node.status?.capacity);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '192.0.2.10' });
    expect(node.status?.nodeInfo).toMatchObject({ operatingSystem: 'linux', architecture: 'amd64' });
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10250);
    expect(node.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe('True');
  });

  it('uses the defaults without a config file or without an entry for the node', async () => {
    const path = await configFile(JSON.stringify({ 'other-node': { cpu: '1' } }));
    const provider = (await mockPlugin.create(context(path))) as MockProvider;
    expect(provider.settings).toMatchObject({ cpu: '20', memory: '100Gi', pods: '20' });
    expect(((await mockPlugin.create(context())) as MockProvider).settings.cpu).toBe('20');
  });

  it('documents its options in the README, generated from the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(mockPlugin.configReference());
  });

  it('reads YAML as well as JSON', async () => {
    const path = await configFile('node-a:\n  cpu: 3\n  notifier: false\n', 'yaml');
    const provider = (await mockPlugin.create(context(path))) as MockProvider;
    expect(provider.settings).toMatchObject({ cpu: '3', notifier: false });
  });

  it('rejects bad config with one line naming the file, the field and the problem', async () => {
    const bad = await configFile(JSON.stringify({ 'node-a': { cpu: 'lots', latencyMs: -1 } }));
    await expect(mockPlugin.create(context(bad))).rejects.toSatisfy(isInvalidInput);
    await expect(mockPlugin.create(context(bad))).rejects.toThrow(
      `--provider-config ${bad}: node-a.cpu: expected a quantity, got "lots"; node-a.latencyMs:`,
    );
    const notJson = await configFile('{');
    await expect(mockPlugin.create(context(notJson))).rejects.toThrow(
      new RegExp(`^--provider-config ${notJson}: not valid YAML or JSON: [^\\n]+$`),
    );
    await expect(mockPlugin.create(context('/nonexistent/mock.json'))).rejects.toThrow(
      /^--provider-config \/nonexistent\/mock.json: cannot read it: ENOENT/,
    );
    expect(() => parseMockSettings({ unknownKey: 1 })).toThrow(
      'mock provider options: unknownKey: unknown field',
    );
    expect(() => parseMockSettings({ errors: [{ rate: 2 }] })).toThrow(/errors.0.rate/);
  });

  it('ping fails and the node turns NotReady when the backend is set unhealthy', async () => {
    const provider = new MockProvider();
    const pushed: V1Node[] = [];
    provider.configureNode({ metadata: { name: 'n' } });
    provider.notifyNodeStatus(node => pushed.push(node));
    await provider.ping(call());
    provider.setHealthy(false);
    await expect(provider.ping(call())).rejects.toSatisfy(isTransient);
    expect(pushed.at(-1)?.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe('False');
  });

  it('reports deterministic stats with CPU time growing between samples', async () => {
    const provider = new MockProvider({ startupDelayMs: 1 });
    const pod = makePod('s', [sh('app', 'sleep 60')]);
    await provider.createPod(pod, call());
    await waitForStatus(provider, pod, s => s.phase === 'Running');
    const first = await provider.getStatsSummary(call());
    await new Promise(resolve => setTimeout(resolve, 20));
    const second = await provider.getStatsSummary(call());
    const [a, b] = [first.pods[0]!, second.pods[0]!];
    expect(a.podRef).toEqual({ name: 's', namespace: 'default', uid: pod.metadata!.uid });
    expect(b.containers[0]!.cpu!.usageNanoCores).toBe(a.containers[0]!.cpu!.usageNanoCores);
    expect(b.containers[0]!.memory!.workingSetBytes).toBe(a.containers[0]!.memory!.workingSetBytes);
    expect(b.cpu!.usageCoreNanoSeconds!).toBeGreaterThan(a.cpu!.usageCoreNanoSeconds!);
    expect(second.node.memory?.workingSetBytes).toBe(b.memory?.workingSetBytes);
    provider.backend.close();
  });
});
