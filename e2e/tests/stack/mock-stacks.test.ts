import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliCommand, eventually, runStartCommand, sh, type StartedStack } from './start-command.js';

/**
 * Two mock stacks from the start command, side by side: each with its own control plane, kubeconfig
 * and state. What the first things a user tries need: the node proxy, kubectl top node, an HPA that
 * scales on the CPU the mock reports; an exported KUBECONFIG of a stopped stack is explained; stopping
 * one stack leaves the other running and nothing of its own behind, its node's client key included.
 */
const stacks = mkdtempSync(join(tmpdir(), 'vk-e2e-stacks-'));
const { KUBECONFIG: _exported, ...inherited } = process.env;
const env = { ...inherited, VKUBELET_STACKS: stacks };
const nameA = `a-${process.pid}`;
const nameB = `b-${process.pid}`;
const NODE = 'vkubelet-mock-0';
const deadKubeconfig = join(stacks, 'gone', 'kubeconfig');
let a: StartedStack | undefined;
let b: StartedStack | undefined;

/** Command lines of the running processes that mention `text` (a stack's directories). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter(entry => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

/** `command`, failing unless it prints exactly `count` lines. */
const untilLines = (command: string, count: number): string =>
  `out=$(${command}) && echo "$out" && test "$(echo "$out" | wc -l)" = ${count}`;

beforeAll(async () => {
  // The shell still exports the kubeconfig of a stack that has stopped.
  a = await runStartCommand(['--name', nameA], { ...env, KUBECONFIG: deadKubeconfig });
  b = await runStartCommand(['--name', nameB], env);
}, 600_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  const left = readdirSync(stacks);
  rmSync(stacks, { recursive: true, force: true });
  expect(left).toEqual([]);
}, 60_000);

describe('mock stacks from the start command', () => {
  it('explain an exported KUBECONFIG of a stack that is not running, and start a new stack', () => {
    expect(a!.stderr()).toContain(
      `KUBECONFIG=${deadKubeconfig} is the kubeconfig of local stack "gone", which is not running`,
    );
    expect(a!.kubeconfig).toBe(join(stacks, nameA, 'kubeconfig'));
  });

  it('run side by side, each with its own API server and Ready node; a second stack of a name is refused', async () => {
    const server = "kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'";
    const [serverA, serverB] = await Promise.all([a!.sh(server), b!.sh(server)]);
    expect(serverA.stdout).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(serverB.stdout).not.toBe(serverA.stdout);
    for (const stack of [a!, b!]) {
      expect(
        (
          await stack.sh(
            `kubectl get node ${NODE} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'`,
          )
        ).stdout,
      ).toBe('True');
    }
    const list = await sh(`${cliCommand} list`, { ...env, PATH: a!.env['PATH'] });
    expect(list.stdout).toMatch(new RegExp(`^${nameA}\\tmock\\tready\\t`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${nameB}\\tmock\\tready\\t`, 'm'));

    const again = await sh(`${cliCommand} up --name ${nameA}`, { ...env, PATH: a!.env['PATH'] }, 120_000);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`a stack named "${nameA}" is already running`);
  }, 180_000);

  it('publish an address the API server proxies to (kubectl get --raw nodes/<node>/proxy/...), still authenticated', async () => {
    const address = await a!.sh(
      `kubectl get node ${NODE} -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}'`,
    );
    expect(address.stdout).not.toMatch(/^127\./);
    const summary = await a!.sh(`kubectl get --raw /api/v1/nodes/${NODE}/proxy/stats/summary`);
    expect(summary.code, summary.stderr).toBe(0);
    expect(JSON.parse(summary.stdout)).toMatchObject({ node: { nodeName: NODE } });

    // The kubelet API on that address still authenticates: an anonymous request is refused.
    const port = await a!.sh(
      `kubectl get node ${NODE} -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}'`,
    );
    const anonymous = await a!.sh(
      `curl -sk -o /dev/null -w '%{http_code}' https://${address.stdout}:${port.stdout}/pods`,
    );
    expect(anonymous.stdout).toBe('401');
  });

  it('scale a Deployment with an HPA on the CPU the mock reports; kubectl top shows it', async () => {
    const manifests = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'busy' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'busy' } },
            template: {
              // Each replica reports 400m against a 100m request: 400 % of the HPA's 50 % target.
              metadata: { labels: { app: 'busy' }, annotations: { 'mock.vkubelet.io/cpu-usage': '400m' } },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'busybox',
                    command: ['sleep', 'infinity'],
                    resources: { requests: { cpu: '100m' } },
                  },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'busy' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'busy' },
            minReplicas: 1,
            maxReplicas: 3,
            metrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
              },
            ],
          },
        },
      ],
    };
    const applied = await a!.sh(`kubectl apply -f - <<'EOF'\n${JSON.stringify(manifests)}\nEOF`);
    expect(applied.code, applied.stderr).toBe(0);

    const scaled = await eventually(
      () => a!.sh(`test "$(kubectl get deployment busy -o jsonpath='{.status.readyReplicas}')" = 3`),
      180_000,
      3_000,
    );
    const hpa = await a!.sh('kubectl get hpa busy -o json');
    expect(scaled.code, hpa.stdout).toBe(0);
    const status = JSON.parse(hpa.stdout) as {
      status: { currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[] };
    };
    expect(status.status.currentMetrics?.[0]?.resource?.current?.averageUtilization).toBe(400);

    // New replicas have figures after two scrapes.
    const top = await eventually(
      () => a!.sh(untilLines('kubectl top pod -l app=busy --no-headers', 3)),
      90_000,
    );
    expect(top.code, top.stderr).toBe(0);
    for (const line of top.stdout.trim().split('\n')) expect(line).toMatch(/^busy-\S+\s+400m\s+\d+Mi\s*$/);
    const node = await eventually(
      () => a!.sh(`kubectl top node --no-headers | grep -E '^${NODE} +1200m '`),
      60_000,
    );
    expect(node.code, node.stderr).toBe(0);
  }, 300_000);

  it('join the cluster an exported KUBECONFIG names, and refuse one that does not answer, naming it', async () => {
    const external = join(stacks, 'external.kubeconfig');
    copyFileSync(a!.kubeconfig, external);
    const joined = await runStartCommand(['--name', `ext-${process.pid}`, '--node-name', 'vk-ext-0'], {
      ...env,
      KUBECONFIG: external,
    });
    try {
      expect(joined.stderr()).toContain('KUBECONFIG is set: joining that cluster');
      expect(joined.stdout()).toBe(`KUBECONFIG=${external}\n`);
      const ready = await a!.sh(
        `kubectl get node vk-ext-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'`,
      );
      expect(ready.stdout).toBe('True');
    } finally {
      expect(await joined.stop()).toBe(0);
      rmSync(external);
    }

    const dead = join(stacks, 'dead.kubeconfig');
    const server = /https:\/\/127\.0\.0\.1:\d+/;
    writeFileSync(dead, readFileSync(a!.kubeconfig, 'utf8').replace(server, 'https://127.0.0.1:1'));
    const refused = await sh(`${cliCommand} up --name dead-${process.pid}`, {
      ...a!.env,
      KUBECONFIG: dead,
    });
    rmSync(dead);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`KUBECONFIG=${dead} points at a cluster that does not answer`);
  }, 120_000);

  it('stop one stack: the other keeps running, and nothing of the stopped one is left', async () => {
    const dirB = join(stacks, nameB);
    const agent = processesMentioning(`${dirB}/`).find(line => line.includes('--nodename'));
    const nodeKubeconfig = /--kubeconfig (\S+)/.exec(agent ?? '')?.[1];
    expect(nodeKubeconfig).toBeDefined();
    expect(existsSync(nodeKubeconfig!)).toBe(true);

    expect(await b!.stop()).toBe(0);
    b = undefined;
    expect(existsSync(dirB)).toBe(false);
    expect(existsSync(nodeKubeconfig!)).toBe(false);
    expect(processesMentioning(`${dirB}/`)).toEqual([]);
    expect(processesMentioning(`vkubelet-stack-${nameB}-`)).toEqual([]);
    expect((await a!.sh(`kubectl get node ${NODE} -o name`)).stdout).toBe(`node/${NODE}\n`);
  }, 60_000);
});
