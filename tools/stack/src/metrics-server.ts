// metrics-server for a stack: the binary built from its Go module by metrics-server/build.sh, run on
// the host beside the control plane, registered as the v1beta1.metrics.k8s.io APIService. The
// aggregator reaches it through an ExternalName Service (the only kind it resolves without a
// kube-proxy or routable endpoints); metrics-server reaches the kubelet API at the node's address.
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  cacheRoot,
  freePort,
  probe,
  startProcess,
  waitUntilReady,
  type ControlPlane,
  type ManagedProcess,
} from '@vkubelet/testenv';

import type { StackPki } from './pki.js';

export const buildScript = resolve(dirname(fileURLToPath(import.meta.url)), '../metrics-server/build.sh');
const goMod = resolve(dirname(fileURLToPath(import.meta.url)), '../metrics-server/go.mod');

/** The identity metrics-server uses towards the API server and the kubelets (a cluster-CA client cert). */
export const METRICS_SERVER_USER = 'system:metrics-server';

export const METRICS_SERVER_SERVICE = {
  namespace: 'kube-system',
  name: 'metrics-server',
  dnsName: 'metrics-server.kube-system.svc',
} as const;

/** The metrics-server version go.mod pins (e.g. "v0.9.0"). */
export function pinnedMetricsServerVersion(text = readFileSync(goMod, 'utf8')): string {
  const match = /^require\s+sigs\.k8s\.io\/metrics-server\s+(v\S+)\s*$/m.exec(text);
  if (!match?.[1]) throw new Error(`no "require sigs.k8s.io/metrics-server vX.Y.Z" line in ${goMod}`);
  return match[1];
}

export class MissingMetricsServerError extends Error {
  override readonly name = 'MissingMetricsServerError';
}

export function metricsServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  const path = join(cacheRoot(env), 'metrics-server', pinnedMetricsServerVersion(), 'metrics-server');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new MissingMetricsServerError(
      `metrics-server is not built (no ${path}): run bash tools/scripts/setup.sh, or bash ${buildScript}`,
    );
  }
  return path;
}

/**
 * RBAC as upstream's manifests grant it (to a user here, not a ServiceAccount: the process runs outside
 * the cluster), the Service the aggregator dials and the APIService verified with the stack CA.
 */
export function metricsServerManifests(port: number, caPem: string): unknown {
  const user = { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: METRICS_SERVER_USER };
  const { namespace, name } = METRICS_SERVER_SERVICE;
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'system:metrics-server' },
        rules: [
          { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
          { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'system:metrics-server' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'system:metrics-server',
        },
        subjects: [user],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'metrics-server:system:auth-delegator' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'system:auth-delegator',
        },
        subjects: [user],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'metrics-server-auth-reader', namespace },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: 'extension-apiserver-authentication-reader',
        },
        subjects: [user],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: {
          name: 'system:aggregated-metrics-reader',
          labels: {
            'rbac.authorization.k8s.io/aggregate-to-view': 'true',
            'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
            'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
          },
        },
        rules: [
          { apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
        ],
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https', port }] },
      },
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1beta1.metrics.k8s.io' },
        spec: {
          service: { name, namespace, port },
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          caBundle: Buffer.from(caPem).toString('base64'),
          groupPriorityMinimum: 100,
          versionPriority: 100,
        },
      },
    ],
  };
}

/** Flags for one metrics-server: loopback only, short resolution so `kubectl top` answers soon. */
export function metricsServerArgs(options: { port: number; kubeconfig: string; pki: StackPki }): string[] {
  const { port, kubeconfig, pki } = options;
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.metricsServerCert}`,
    `--tls-private-key-file=${pki.metricsServerKey}`,
    // The node's kubelet API listens on a port chosen at start-up and published in its status.
    '--kubelet-use-node-status-port',
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-certificate-authority=${pki.caCert}`,
    // The smallest resolution metrics-server allows; a scrape must finish within 90 % of it.
    '--metric-resolution=10s',
    '--kubelet-request-timeout=5s',
  ];
}

/** Registers and starts metrics-server; resolves once it serves (its first scrape comes later). */
export async function startMetricsServer(options: {
  controlPlane: ControlPlane;
  pki: StackPki;
  logsDir: string;
}): Promise<ManagedProcess> {
  const { controlPlane, pki, logsDir } = options;
  const binary = metricsServerBinary();
  const [port, kubeconfig] = await Promise.all([
    freePort(),
    controlPlane.userKubeconfig(METRICS_SERVER_USER),
  ]);
  const applied = await controlPlane.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify(metricsServerManifests(port, pki.caPem)),
  });
  if (applied.code !== 0) throw new Error(`registering metrics-server failed: ${applied.stderr.trim()}`);
  const proc = startProcess(
    'metrics-server',
    binary,
    metricsServerArgs({ port, kubeconfig, pki }),
    join(logsDir, 'metrics-server.log'),
  );
  try {
    await waitUntilReady(
      proc,
      'GET /livez',
      async () => (await probe(`https://127.0.0.1:${port}/livez`, { ca: pki.caPem })).status === 200,
      { timeoutMs: 60_000 },
    );
  } catch (error) {
    await proc.stop(0);
    throw error;
  }
  return proc;
}
