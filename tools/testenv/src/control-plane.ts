// startControlPlane: etcd + kube-apiserver (+ kube-scheduler, kube-controller-manager) from the
// binaries built by k8s/build.sh, on free loopback ports, with a fresh PKI per instance.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { binaryDir, binaryPath, type ComponentName } from './binaries.js';
import { killGroupNow, trackDir, untrackDir } from './cleanup.js';
import {
  apiServerArgs,
  controllerManagerArgs,
  etcdArgs,
  schedulerArgs,
  type ComponentFiles,
  type ComponentPorts,
} from './components.js';
import { ComponentStartError, probe, waitUntilReady, type TlsIdentity } from './health.js';
import { renderKubeconfig } from './kubeconfig.js';
import { createCertificateAuthority, createServiceAccountKey, type CertificateAuthority } from './pki.js';
import { freePorts } from './ports.js';
import { startProcess, tailFile, type ManagedProcess } from './process.js';
import { startWatchdog } from './watchdog.js';

export interface ControlPlaneOptions {
  /** Start kube-scheduler (default true). */
  scheduler?: boolean;
  /** Start kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** Used in the temp directory's name, to tell instances apart in logs. */
  name?: string;
  /** Extra kube-apiserver flags; one that names a default flag replaces it (`--flag=value` form). */
  apiServerFlags?: string[];
  /** Readiness budget per component (default 60 s; 2 shared cores can be slow). */
  readyTimeoutMs?: number;
  /**
   * Sends kube-apiserver's own spans over OTLP/gRPC to `endpoint` (`host:port`), through a
   * TracingConfiguration file (`--tracing-config-file`). It traces the requests whose `traceparent`
   * is sampled, and `samplingRatePerMillion` of the others (default 0: none).
   */
  apiServerTracing?: { endpoint: string; samplingRatePerMillion?: number };
}

/** The TracingConfiguration file of `--tracing-config-file` (apiserver.config.k8s.io/v1). */
export function apiServerTracingConfig(
  tracing: NonNullable<ControlPlaneOptions['apiServerTracing']>,
): string {
  return JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'TracingConfiguration',
    endpoint: tracing.endpoint,
    ...(tracing.samplingRatePerMillion !== undefined
      ? { samplingRatePerMillion: tracing.samplingRatePerMillion }
      : {}),
  });
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface KubectlOptions {
  /** Defaults to the admin kubeconfig. */
  kubeconfig?: string;
  input?: string;
  /** Default 60 s; the process is killed after it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ControlPlane {
  /** Temp dir: PKI, kubeconfigs, logs/ (etcd data sits on /dev/shm when present). */
  readonly dir: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caCertPath: string;
  /** Client-cert kubeconfig for O=system:masters. */
  readonly adminKubeconfigPath: string;
  /** The kubectl built from the same modules as the control plane. */
  readonly kubectlPath: string;
  /** CA cert+key paths, so tests can issue more certs (kubelet serving certs etc). */
  readonly ca: { certPath: string; keyPath: string };
  /** Client-cert kubeconfig for CN=system:node:<name>, O=system:nodes (the identity a virtual node runs as). */
  nodeKubeconfig(nodeName: string): Promise<string>;
  /** Client-cert kubeconfig for an ordinary user (no RBAC unless the test grants it). */
  userKubeconfig(user: string, groups?: string[]): Promise<string>;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /**
   * Stops and starts kube-apiserver on the same port and etcd (for "API server restarted mid-run"
   * tests): gracefully by default, or `{ kill: true }` for kill -9 (no graceful shutdown at all).
   * `downMs` keeps it down that long before the new one starts.
   */
  restartApiServer(options?: RestartOptions): Promise<void>;
  /** Stops etcd (SIGTERM, or SIGKILL with `kill`) and starts it again on its data; resolves once healthy. */
  restartEtcd(options?: RestartOptions): Promise<void>;
  /** Freezes etcd (SIGSTOP): the API server's requests hang until `resumeEtcd()`. */
  pauseEtcd(): void;
  /** Thaws etcd (SIGCONT) after `pauseEtcd()`. */
  resumeEtcd(): void;
  /** The last `lines` lines (default 40) of a component's log. */
  logTail(component: ComponentName, lines?: number): string;
  /** Kills every process this instance started (process groups, SIGKILL after a grace) and removes its dirs. */
  stop(): Promise<void>;
}

export interface RestartOptions {
  /** SIGKILL at once instead of a graceful stop. */
  kill?: boolean;
  /** Time the component stays down before it starts again (default 0). */
  downMs?: number;
}

const maxStartAttempts = 3;
const restartGraceMs = 3_000;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Starts a control plane and waits until every component is ready. Retries when a port was stolen. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const name = options.name ?? 'testenv';
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(name)) {
    throw new TypeError(
      `startControlPlane: name must be 1-40 characters of [A-Za-z0-9._-], got ${JSON.stringify(name)}`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(name, options);
    } catch (error) {
      if (!(error instanceof ComponentStartError && error.isPortRace) || attempt >= maxStartAttempts)
        throw error;
    }
  }
}

async function startOnce(name: string, options: ControlPlaneOptions): Promise<ControlPlane> {
  const withScheduler = options.scheduler ?? true;
  const withControllerManager = options.controllerManager ?? true;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  // Resolve every binary before creating anything, so a missing build fails with the hint and no mess.
  const bins = binaryDir();
  const binary = {
    etcd: binaryPath('etcd', bins),
    'kube-apiserver': binaryPath('kube-apiserver', bins),
    'kube-scheduler': withScheduler ? binaryPath('kube-scheduler', bins) : '',
    'kube-controller-manager': withControllerManager ? binaryPath('kube-controller-manager', bins) : '',
    kubectl: binaryPath('kubectl', bins),
  };

  const dir = mkdtempSync(join(tmpdir(), `vkubelet-${name}-`));
  trackDir(dir);
  const etcdDataDir = existsSync('/dev/shm')
    ? mkdtempSync(`/dev/shm/vkubelet-etcd-${name}-`)
    : join(dir, 'etcd');
  trackDir(etcdDataDir);
  const pkiDir = join(dir, 'pki');
  const logsDir = join(dir, 'logs');
  const kubeconfigsDir = join(dir, 'kubeconfigs');
  for (const d of [pkiDir, logsDir, kubeconfigsDir]) mkdirSync(d, { recursive: true });
  const watchdog = startWatchdog(join(dir, 'pids'), [dir, etcdDataDir]);

  const processes = new Map<ComponentName, ManagedProcess>();
  const syncWatchdog = (): void => watchdog.setGroups([...processes.values()].map(p => p.pid));
  const launch = (component: ComponentName, args: string[]): ManagedProcess => {
    const proc = startProcess(component, binary[component], args, join(logsDir, `${component}.log`));
    processes.set(component, proc);
    syncWatchdog();
    return proc;
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // Everything is thrown away, so there is nothing a graceful shutdown would save; SIGKILL keeps
      // teardown instant (a SIGTERMed kube-apiserver can linger ~10 s after closing its listener).
      await Promise.all([...processes.values()].map(p => p.stop(0)));
      watchdog.dispose();
      for (const d of [dir, etcdDataDir]) {
        rmSync(d, { recursive: true, force: true });
        untrackDir(d);
      }
    })());

  try {
    const [ports, ca, serviceAccountKey] = await Promise.all([
      freePorts(5).then(
        ([etcdClient, etcdPeer, apiServer, scheduler, controllerManager]): ComponentPorts => ({
          etcdClient: etcdClient!,
          etcdPeer: etcdPeer!,
          apiServer: apiServer!,
          scheduler: scheduler!,
          controllerManager: controllerManager!,
        }),
      ),
      createCertificateAuthority(),
      createServiceAccountKey(),
    ]);
    const server = `https://127.0.0.1:${ports.apiServer}`;
    const { files, admin } = await writePki(
      pkiDir,
      kubeconfigsDir,
      etcdDataDir,
      server,
      ca,
      serviceAccountKey,
    );

    const startEtcd = async (): Promise<void> => {
      const etcd = launch('etcd', etcdArgs(ports, files));
      await waitUntilReady(
        etcd,
        'GET /health',
        async () => (await probe(`http://127.0.0.1:${ports.etcdClient}/health`)).status === 200,
        { timeoutMs: readyTimeoutMs },
      );
    };
    await startEtcd();

    const extraFlags = [...(options.apiServerFlags ?? [])];
    if (options.apiServerTracing) {
      const tracingConfig = join(dir, 'apiserver-tracing.yaml');
      writeFileSync(tracingConfig, apiServerTracingConfig(options.apiServerTracing));
      extraFlags.push(`--tracing-config-file=${tracingConfig}`);
    }
    const apiArgs = apiServerArgs(ports, files, { controllerManager: withControllerManager, extraFlags });
    const waitForApiServer = async (proc: ManagedProcess): Promise<void> => {
      await waitUntilReady(
        proc,
        'GET /readyz',
        async () => (await probe(`${server}/readyz`, admin)).status === 200,
        {
          timeoutMs: readyTimeoutMs,
        },
      );
    };
    // Scheduler and KCM retry until the apiserver answers, so they start alongside it: their own
    // start-up work then overlaps the apiserver's instead of following it.
    const apiServer = launch('kube-apiserver', apiArgs);
    const clients: Promise<void>[] = [];
    if (withScheduler) {
      const proc = launch('kube-scheduler', schedulerArgs(ports, files));
      clients.push(waitForHealthz(proc, ports.scheduler, readyTimeoutMs));
    }
    if (withControllerManager) {
      const proc = launch('kube-controller-manager', controllerManagerArgs(ports, files));
      clients.push(waitForHealthz(proc, ports.controllerManager, readyTimeoutMs));
    }
    // One Promise.all, so a client component that dies early fails the start at once (and no
    // rejection goes unhandled while the apiserver is still being waited for).
    await Promise.all([
      (async () => {
        await waitForApiServer(apiServer);
        await waitForSystemObjects(apiServer, server, admin, withControllerManager, readyTimeoutMs);
      })(),
      ...clients,
    ]);

    let userCount = 0;
    const writeClientKubeconfig = async (
      fileStem: string,
      commonName: string,
      groups: string[],
    ): Promise<string> => {
      const client = await ca.issueClientCert(commonName, groups);
      const path = join(kubeconfigsDir, `${fileStem}-${++userCount}.kubeconfig`);
      writeFileSync(path, renderKubeconfig({ server, caCertPem: ca.certPem, userName: commonName, client }), {
        mode: 0o600,
      });
      return path;
    };

    return {
      dir,
      server,
      caCertPath: files.caCert,
      adminKubeconfigPath: files.adminKubeconfig,
      kubectlPath: binary.kubectl,
      ca: { certPath: files.caCert, keyPath: files.caKey },
      nodeKubeconfig(nodeName) {
        if (!dnsSubdomain.test(nodeName)) {
          return Promise.reject(
            new TypeError(
              `nodeKubeconfig: ${JSON.stringify(nodeName)} is not a valid node name (DNS subdomain)`,
            ),
          );
        }
        return writeClientKubeconfig(`node-${nodeName}`, `system:node:${nodeName}`, ['system:nodes']);
      },
      userKubeconfig(user, groups = []) {
        if (!user || /[\n\r\0]/.test(user) || groups.some(g => !g || /[\n\r\0]/.test(g))) {
          return Promise.reject(
            new TypeError('userKubeconfig: user and group names must be non-empty single-line strings'),
          );
        }
        return writeClientKubeconfig(`user-${user.replace(/[^A-Za-z0-9._-]/g, '_')}`, user, groups);
      },
      kubectl: (args, opts = {}) =>
        runKubectl(binary.kubectl, args, { ...opts, kubeconfig: opts.kubeconfig ?? files.adminKubeconfig }),
      async restartApiServer(restart = {}) {
        if (stopped) throw new Error('restartApiServer: the control plane is stopped');
        // A real restart is graceful; the bound keeps the test short, since kube-apiserver stops
        // listening within milliseconds of SIGTERM but can take ~10 s more to exit.
        await processes.get('kube-apiserver')?.stop(restart.kill ? 0 : restartGraceMs);
        if (restart.downMs) await sleep(restart.downMs);
        await waitForApiServer(launch('kube-apiserver', apiArgs));
      },
      async restartEtcd(restart = {}) {
        if (stopped) throw new Error('restartEtcd: the control plane is stopped');
        const etcd = processes.get('etcd');
        // A stopped process cannot act on SIGTERM: thaw it first.
        if (etcd) killGroupNow(etcd.pid, 'SIGCONT');
        await etcd?.stop(restart.kill ? 0 : restartGraceMs);
        if (restart.downMs) await sleep(restart.downMs);
        await startEtcd();
      },
      pauseEtcd() {
        const etcd = processes.get('etcd');
        if (stopped || !etcd || etcd.exitStatus()) throw new Error('pauseEtcd: etcd is not running');
        killGroupNow(etcd.pid, 'SIGSTOP');
      },
      resumeEtcd() {
        const etcd = processes.get('etcd');
        if (etcd && !etcd.exitStatus()) killGroupNow(etcd.pid, 'SIGCONT');
      },
      logTail: (component, lines = 40) => tailFile(join(logsDir, `${component}.log`), lines),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function writePki(
  pkiDir: string,
  kubeconfigsDir: string,
  etcdDataDir: string,
  server: string,
  ca: CertificateAuthority,
  serviceAccountKey: { privateKeyPem: string; publicKeyPem: string },
): Promise<{ files: ComponentFiles; admin: TlsIdentity }> {
  const [serving, kubeletClient, admin] = await Promise.all([
    ca.issueServingCert('kube-apiserver', {
      dns: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
      ips: ['127.0.0.1', '10.0.0.1'],
    }),
    ca.issueClientCert('kube-apiserver-kubelet-client', ['system:masters']),
    ca.issueClientCert('vkubelet-testenv-admin', ['system:masters']),
  ]);
  const file = (name: string, content: string): string => {
    const path = join(pkiDir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const adminKubeconfig = join(kubeconfigsDir, 'admin.kubeconfig');
  writeFileSync(
    adminKubeconfig,
    renderKubeconfig({ server, caCertPem: ca.certPem, userName: 'vkubelet-testenv-admin', client: admin }),
    {
      mode: 0o600,
    },
  );
  const files: ComponentFiles = {
    etcdDataDir,
    caCert: file('ca.crt', ca.certPem),
    caKey: file('ca.key', ca.keyPem),
    servingCert: file('apiserver.crt', serving.certPem),
    servingKey: file('apiserver.key', serving.keyPem),
    kubeletClientCert: file('apiserver-kubelet-client.crt', kubeletClient.certPem),
    kubeletClientKey: file('apiserver-kubelet-client.key', kubeletClient.keyPem),
    serviceAccountKey: file('sa.key', serviceAccountKey.privateKeyPem),
    serviceAccountPublicKey: file('sa.pub', serviceAccountKey.publicKeyPem),
    adminKubeconfig,
  };
  // The readiness probes authenticate as admin.
  return { files, admin: { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem } };
}

/** kube-scheduler and KCM serve /healthz unauthenticated on their secure port, with a self-signed cert. */
function waitForHealthz(proc: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  return waitUntilReady(
    proc,
    'GET /healthz',
    async () => (await probe(`https://127.0.0.1:${port}/healthz`, {})).status === 200,
    {
      timeoutMs,
    },
  );
}

/**
 * /readyz can pass before the system namespaces exist (a post-start controller creates them), and the
 * "default" ServiceAccount comes from KCM later still; a test that creates a Lease or a Pod right away
 * would race both, so "ready" includes them.
 */
async function waitForSystemObjects(
  apiServer: ManagedProcess,
  server: string,
  admin: TlsIdentity,
  withControllerManager: boolean,
  timeoutMs: number,
): Promise<void> {
  const paths = ['/api/v1/namespaces/kube-node-lease', '/api/v1/namespaces/kube-public'];
  if (withControllerManager) paths.push('/api/v1/namespaces/default/serviceaccounts/default');
  for (const path of paths) {
    await waitUntilReady(
      apiServer,
      `GET ${path}`,
      async () => (await probe(`${server}${path}`, admin)).status === 200,
      { timeoutMs },
    );
  }
}

function runKubectl(
  kubectlPath: string,
  args: string[],
  opts: KubectlOptions & { kubeconfig: string },
): Promise<KubectlResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(kubectlPath, [`--kubeconfig=${opts.kubeconfig}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
      killSignal: 'SIGKILL',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolveRun({ stdout, stderr, code: code ?? (signal ? 128 : 1) }));
    // kubectl may exit before reading stdin (e.g. bad flags); that EPIPE is not the caller's error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
