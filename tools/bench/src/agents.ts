import type { KubeClient } from '@vkubelet/core';
import type { ControlPlane } from '@vkubelet/testenv';

import { DEFAULT_AGENT_COMMAND, expandCommand } from './agent-process.js';
import { comparatorBinaries } from './comparators.js';
import type { IdentityMode } from './identity.js';

/** What an agent is started with, for one node on one control plane. */
export interface AgentContext {
  plane: ControlPlane;
  admin: KubeClient;
  nodeName: string;
  /** Kubeconfig of the agent's identity (see `AgentKind.identity`). */
  kubeconfig: string;
  /** The bench's mock settings, `{"<node>": {...}}` (upstream's mock reads cpu/memory/pods from it). */
  providerConfig: string;
  outDir: string;
  /** A serving certificate for the agent (issued by a throw-away CA), as production agents get one. */
  serving: { cert: string; key: string };
  freePort(): Promise<number>;
}

export interface AgentLaunch {
  argv: string[];
  env?: Record<string, string>;
}

/** One kind of agent the bench can run: how to start it and what it can be measured for. */
export interface AgentKind {
  /** Name in reports. */
  readonly label: string;
  readonly identity: IdentityMode;
  /**
   * Runs the bench's own mock provider, so `--mock-latency-ms`, `--no-notifier` and the provider's
   * call log (create → provider call, provider Running → seen) apply.
   */
  readonly benchMock: boolean;
  /** One line on how it runs, for the report. */
  readonly description: string;
  /** Before each start: objects or files it needs. */
  prepare?(context: AgentContext): Promise<void>;
  launch(context: AgentContext): Promise<AgentLaunch>;
}

/** vkubelet from this repository (`packages/core/dist`), mock provider, its own defaults. */
export function vkubeletAgent(identity: IdentityMode = 'node'): AgentKind {
  return customAgent(
    DEFAULT_AGENT_COMMAND,
    'vkubelet',
    identity,
    'virtual-kubelet --provider mock (this repository)',
  );
}

/**
 * Any agent command; placeholders {kubeconfig} {node} {ca} {providerConfig} {metricsPort} {tlsCert} {tlsKey}. It runs the
 * bench's mock when it is given {providerConfig} (then it is assumed to be vkubelet's command line).
 */
export function customAgent(
  template: string,
  label: string,
  identity: IdentityMode,
  description = template,
  env?: Record<string, string>,
): AgentKind {
  return {
    label,
    identity,
    benchMock: template.includes('{providerConfig}'),
    description,
    async launch(context) {
      return {
        argv: expandCommand(template, {
          kubeconfig: context.kubeconfig,
          node: context.nodeName,
          ca: context.plane.ca.certPath,
          providerConfig: context.providerConfig,
          metricsPort: String(await context.freePort()),
          tlsCert: context.serving.cert,
          tlsKey: context.serving.key,
        }),
        ...(env ? { env } : {}),
      };
    },
  };
}

/**
 * Upstream Virtual Kubelet v1.14.1 with its built-in mock provider and its defaults (client fixed at
 * client-go's 5 requests/s, burst 10; 10 pod-sync workers). It always sets labels NodeRestriction
 * refuses, so it runs as `node-rbac`. It needs a serving certificate, given as files like vkubelet's.
 */
export function upstreamAgent(): AgentKind {
  return {
    label: 'upstream v1.14.1',
    identity: 'node-rbac',
    benchMock: false,
    description: 'virtual-kubelet v1.14.1 --provider mock, its defaults (client 5 req/s, burst 10)',
    async launch(context) {
      const { upstream } = await comparatorBinaries();
      return {
        argv: [
          upstream,
          '--provider=mock',
          `--provider-config=${context.providerConfig}`,
          `--nodename=${context.nodeName}`,
          `--kubeconfig=${context.kubeconfig}`,
          `--metrics-addr=127.0.0.1:${await context.freePort()}`,
        ],
        env: {
          KUBELET_PORT: String(await context.freePort()),
          APISERVER_CERT_LOCATION: context.serving.cert,
          APISERVER_KEY_LOCATION: context.serving.key,
          VKUBELET_POD_IP: '127.0.0.1',
        },
      };
    },
  };
}

/**
 * kwok v0.8.0, a pure status patcher (no backend, no events), with its own defaults (no node lease)
 * and the stock stages kwokctl gives it in that case (node-initialize, node-heartbeat, pod-ready,
 * pod-complete, pod-delete): the bare binary runs no stage at all. (Its lease mode needs to list and
 * watch leases, which the system:node role does not allow.) It registers no node, so the bench
 * creates one and names it with `--manage-single-node` (kwok manages no node without such a flag).
 * It lists every node at start-up, which the Node authorizer refuses: `node-rbac`.
 */
export function kwokAgent(): AgentKind {
  return {
    label: 'kwok v0.8.0',
    identity: 'node-rbac',
    benchMock: false,
    description:
      'kwok v0.8.0 --manage-single-node, its defaults (no lease) with kwokctl’s stock stages; node created by the bench',
    async prepare(context) {
      try {
        await context.admin.requestJson('POST', '/api/v1/nodes', {
          body: {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: {
              name: context.nodeName,
              labels: { type: 'kwok', 'kubernetes.io/hostname': context.nodeName },
            },
          },
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    },
    async launch(context) {
      const { kwok, kwokStages } = await comparatorBinaries();
      return {
        argv: [
          kwok,
          `--config=${kwokStages}`,
          `--kubeconfig=${context.kubeconfig}`,
          `--manage-single-node=${context.nodeName}`,
        ],
      };
    },
  };
}

export const COMPARE_AGENTS = ['vkubelet', 'upstream', 'kwok'] as const;
export type KnownAgent = (typeof COMPARE_AGENTS)[number];

export function knownAgent(name: KnownAgent): AgentKind {
  switch (name) {
    case 'vkubelet':
      return vkubeletAgent();
    case 'upstream':
      return upstreamAgent();
    case 'kwok':
      return kwokAgent();
  }
}
