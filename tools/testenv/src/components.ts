// Command lines of the control-plane components. Rationale for each non-obvious flag is in
// /work/shared/reference/testenv.md §2.6; the ones chosen for vkubelet are commented here.
export interface ComponentPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiServer: number;
  readonly scheduler: number;
  readonly controllerManager: number;
}

export interface ComponentFiles {
  readonly etcdDataDir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly kubeletClientCert: string;
  readonly kubeletClientKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly adminKubeconfig: string;
}

export const serviceClusterIpRange = '10.0.0.0/24';

export function etcdArgs(ports: ComponentPorts, files: ComponentFiles): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=default',
    `--data-dir=${files.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Throwaway data on tmpfs: fsync buys nothing and costs latency on a busy 2-core machine.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export function apiServerArgs(
  ports: ComponentPorts,
  files: ComponentFiles,
  opts: { controllerManager: boolean; extraFlags: readonly string[] },
): string[] {
  // TaintNodesByCondition taints every new Node "not-ready:NoSchedule"; upstream the node-lifecycle
  // controller lifts it once the Node reports Ready. That controller is off here (so a node whose
  // heartbeat a test stops is not tainted or evicted), and NodeRestriction forbids a node to edit its
  // own taints, so the plugin is off too: a Ready virtual node is schedulable, as in a real cluster.
  const disabledAdmission = ['TaintNodesByCondition'];
  // Without KCM nobody creates the "default" ServiceAccount, and the ServiceAccount plugin would then
  // refuse every pod (envtest disables it for the same reason).
  if (!opts.controllerManager) disabledAdmission.push('ServiceAccount');
  const defaults = [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    // A loopback IP is invalid in the "kubernetes" Endpoints object.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    `--client-ca-file=${files.caCert}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${files.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${files.serviceAccountKey}`,
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--disable-admission-plugins=${disabledAdmission.join(',')}`,
    '--allow-privileged=true',
    // The identity the apiserver presents when it proxies logs/exec/attach/port-forward to a kubelet.
    `--kubelet-client-certificate=${files.kubeletClientCert}`,
    `--kubelet-client-key=${files.kubeletClientKey}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
  ];
  return withOverrides(defaults, opts.extraFlags);
}

const flagName = (flag: string): string => flag.split('=', 1)[0]!;

/**
 * Defaults, minus those the extra flags name again, then the extra flags. Appending alone is not
 * enough: for list flags (--disable-admission-plugins, ...) a repeated flag adds to the list.
 */
export function withOverrides(defaults: readonly string[], extraFlags: readonly string[]): string[] {
  const overridden = new Set(extraFlags.map(flagName));
  return [...defaults.filter(flag => !overridden.has(flagName(flag))), ...extraFlags];
}

export function schedulerArgs(ports: ComponentPorts, files: ComponentFiles): string[] {
  return [
    `--kubeconfig=${files.adminKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.scheduler}`,
  ];
}

export function controllerManagerArgs(ports: ComponentPorts, files: ComponentFiles): string[] {
  return [
    `--kubeconfig=${files.adminKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager}`,
    // Node lifecycle would taint and evict a virtual node whose heartbeat a test stops on purpose;
    // node IPAM would try to hand out pod CIDRs that a virtual node does not use.
    '--controllers=*,-node-lifecycle-controller,-node-ipam-controller',
    `--root-ca-file=${files.caCert}`,
    `--service-account-private-key-file=${files.serviceAccountKey}`,
    '--use-service-account-credentials=false',
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    // Lets the CSR signing controller sign kubelet-serving certificates with the test CA.
    `--cluster-signing-cert-file=${files.caCert}`,
    `--cluster-signing-key-file=${files.caKey}`,
  ];
}
