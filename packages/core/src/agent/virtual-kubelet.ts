import type { V1Node, V1Pod } from '@kubernetes/client-node';

import {
  errorMessage,
  noopLogger,
  type Logger,
  type MetricMeter,
  type Provider,
  type ProviderContext,
} from '@vkubelet/provider-kit';

import { Informer } from '../cache/index.js';
import { ScopedResourceCache } from '../cache/scoped-resource-cache.js';
import { EventRecorder, eventsApiSink } from '../events/index.js';
import { KubeletServer } from '../http/index.js';
import { KubeClient } from '../kube/client.js';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  LeaderElector,
  LeadershipLostError,
  validateTimings,
} from '../leader/leader-elector.js';
import { WriteFence } from '../leader/write-fence.js';
import { PrometheusMeter } from '../metrics/prometheus-meter.js';
import { LEASE_NAMESPACE, LeaseController } from '../node/lease-controller.js';
import { NodeController } from '../node/node-controller.js';
import { buildNodeTemplate } from '../node/node-template.js';
import { PodController } from '../pod/index.js';
import { serviceAccountTokens } from '../pod/service-account-tokens.js';
import { isDnsSubdomain } from '../util/names.js';
import { IllegalStateError, type VirtualKubeletState } from './lifecycle.js';
import { leaderIdentity } from './leader-identity.js';
import { defaultNodeIP } from './node-ip.js';
import { DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS, type VirtualKubeletOptions } from './options.js';
import { KUBELET_VERSION } from './version.js';

const DEFAULT_TAINT_KEY = 'virtual-kubelet.io/provider';
const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

/** What `create()` builds before the agent exists: every part that holds a connection or a port. */
interface Parts {
  client: KubeClient;
  /** The client the controllers write with: `client` itself, or behind the leader election's fence. */
  writer: KubeClient;
  /** Closed until this agent holds the leader lease, when leader election is on. */
  fence: WriteFence | undefined;
  resources: ScopedResourceCache;
  podInformer: Informer<V1Pod>;
  server: KubeletServer | undefined;
  kubeletPort: number | undefined;
  provider: Provider;
  /** Pod events, for core's controllers and the provider's (`context.events`) alike. */
  events: EventRecorder;
}

/** A start-up step or a running part that failed: the agent stops, and this is why. */
export class AgentPartError extends Error {
  override readonly name = 'AgentPartError';
  constructor(
    /** The part or start-up step that failed: `pod controller`, `registering the node`, ... */
    readonly part: string,
    cause: unknown,
  ) {
    super(`${part}: ${errorMessage(cause)}`, { cause });
  }
}

/**
 * A virtual node: registers a Node, keeps its lease, runs the pods bound to it through a provider and
 * serves the kubelet API. Created with `VirtualKubelet.create()`, driven by `run()` (resolves when
 * the agent stops) and stopped by `shutdown()`.
 *
 * The parts (kubelet API and metrics servers, node status loop, lease loop, informers, pod queues)
 * run as one group: the first failure of any of them, or the start-up timeout, stops all the others,
 * the state turns FAILED and `run()` rejects with that first cause once everything is closed, in
 * order, within the shutdown grace period. Stopping never deletes a pod from the provider, and the
 * lease is not released: it expires on its own (40 s), as a kubelet's does, so an agent restarted
 * within that time finds its node still Ready and its pods untouched.
 */
export class VirtualKubelet {
  private lifecycleState: VirtualKubeletState = 'INITIALIZED';
  private readonly abort = new AbortController();
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private failReady!: (err: unknown) => void;
  private running: Promise<void> | undefined;
  /** The first failure, which stopped the agent. */
  private cause: AgentPartError | undefined;

  private constructor(
    private readonly options: VirtualKubeletOptions,
    private readonly parts: Parts,
    private readonly logger: Logger,
    private readonly meter: MetricMeter,
    private readonly nodeIP: string,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    // A failure before anyone waits for readiness must not surface as an unhandled rejection.
    this.ready.catch(() => {});
  }

  /**
   * Validates the options, connects the client, opens the kubelet API (certificates loaded, port
   * bound, so the provider is told the real port even for port 0) and creates the provider. Whatever
   * was opened is closed again if a later step (the provider factory) fails.
   */
  static async create(options: VirtualKubeletOptions): Promise<VirtualKubelet> {
    if (!isDnsSubdomain(options.nodeName)) {
      throw new TypeError(`invalid node name "${options.nodeName}": must be a lowercase RFC 1123 subdomain`);
    }
    const election = options.leaderElection;
    if (election) {
      const problem = validateTimings(
        election.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS,
        election.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS,
        election.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS,
      );
      if (problem) throw new RangeError(`leader election: ${problem}`);
    }
    const logger = (options.logger ?? noopLogger).child({ node: options.nodeName });
    const meter = options.meter ?? new PrometheusMeter();
    const nodeIP = options.nodeIP ?? defaultNodeIP();
    const client = KubeClient.create({
      kubeConfig: options.kubeConfig,
      qps: options.kubeApiQps ?? DEFAULT_KUBE_API_QPS,
      burst: options.kubeApiBurst ?? DEFAULT_KUBE_API_BURST,
      metrics: meter,
      logger,
    });
    const resources = new ScopedResourceCache({ client, logger, metrics: meter });
    const podInformer = new Informer<V1Pod>({
      client,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      name: 'pods',
      logger,
      metrics: meter,
    });
    // A standby writes nothing until it holds the lease: the fence opens then. Events too, the
    // provider's included (it may report its backend's events while this agent stands by).
    const fence = election ? WriteFence.closed() : undefined;
    const writer = fence ? client.withWriteFence(fence) : client;
    const events = new EventRecorder({
      nodeName: options.nodeName,
      sink: eventsApiSink(writer),
      logger,
      metrics: meter,
    });
    let provider: Provider | undefined;
    const server = VirtualKubelet.kubeletServer(options, {
      client,
      nodeIP,
      podInformer,
      logger,
      meter,
      provider: () => {
        if (!provider) throw new Error('the provider is not created yet');
        return provider;
      },
    });
    try {
      const kubeletPort = server ? await server.listen() : undefined;
      const context: ProviderContext = {
        nodeName: options.nodeName,
        operatingSystem: options.operatingSystem ?? 'linux',
        internalIP: nodeIP,
        daemonPort: kubeletPort ?? 0,
        clusterDomain: options.clusterDomain ?? 'cluster.local',
        configPath: options.providerConfigPath,
        resources,
        events,
        tokens: serviceAccountTokens(client),
        logger: logger.child({ provider: options.providerName }),
        metrics: meter,
      };
      provider = typeof options.provider === 'function' ? await options.provider(context) : options.provider;
      const parts = { client, writer, fence, resources, podInformer, server, kubeletPort, provider, events };
      return new VirtualKubelet(options, parts, logger, meter, nodeIP);
    } catch (err) {
      await events.close().catch(() => {});
      await server?.close().catch(() => {});
      await resources.stop().catch(() => {});
      await client.close();
      throw err;
    }
  }

  get state(): VirtualKubeletState {
    return this.lifecycleState;
  }

  /** The port the kubelet API listens on (known from `create()` on). */
  get kubeletPort(): number | undefined {
    return this.parts.kubeletPort;
  }

  /** Resolves when the node is registered and pods are being synced; rejects if the agent stops first. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Runs until `shutdown()`; rejects with the first failure of any part. Call once. */
  run(): Promise<void> {
    if (this.lifecycleState !== 'INITIALIZED') throw new IllegalStateError('run', this.lifecycleState);
    this.lifecycleState = 'STARTING';
    this.running = this.runAgent().then(
      () => {
        if (this.cause) throw this.cause;
        this.lifecycleState = 'STOPPED';
      },
      (err: unknown) => {
        // Only a bug in the teardown itself gets here; parts' failures are recorded as cause.
        this.lifecycleState = 'FAILED';
        throw this.cause ?? err;
      },
    );
    return this.running;
  }

  /**
   * Stops every part and waits until they are closed; the teardown takes at most the shutdown grace
   * period (`shutdownGraceMs`). Safe to call more than once. Resolves even if `run()` failed.
   */
  async shutdown(): Promise<void> {
    if (this.lifecycleState === 'INITIALIZED') {
      this.lifecycleState = 'STOPPED';
      this.failReady(new Error('the virtual node was shut down before it ran'));
      await this.teardown([], []);
      return;
    }
    if (
      this.lifecycleState === 'STARTING' ||
      this.lifecycleState === 'STANDBY' ||
      this.lifecycleState === 'RUNNING'
    ) {
      this.lifecycleState = 'STOPPING';
    }
    this.abort.abort(new Error('the virtual node is shutting down'));
    await this.running?.catch(() => {});
  }

  /** Records the first failure and stops every part. Later failures are consequences of it. */
  private fail(part: string, err: unknown): void {
    if (this.abort.signal.aborted) {
      this.logger.debug('part ended while stopping', { part, err: errorMessage(err) });
      return;
    }
    this.cause = new AgentPartError(part, err);
    this.lifecycleState = 'FAILED';
    this.logger.error('stopping the virtual node', { part, err: errorMessage(err) });
    this.failReady(this.cause);
    this.abort.abort(this.cause);
  }

  /** A running part: it ends when the agent stops; failing, or ending on its own, stops the agent. */
  private supervise(part: string, running: Promise<void>): Promise<void> {
    return running.then(
      () => {
        if (!this.abort.signal.aborted) this.fail(part, new Error('stopped unexpectedly'));
      },
      (err: unknown) => this.fail(part, err),
    );
  }

  /**
   * A start-up step; its failure stops the agent. Undefined tells the caller to stop too: the step
   * failed, or the agent is stopping (a step that hangs, such as a provider's `configureNode`, is
   * abandoned then, so that neither the start-up timeout nor a signal waits for it).
   */
  private async step<T>(part: string, step: () => Promise<T>): Promise<T | undefined> {
    const signal = this.abort.signal;
    if (signal.aborted) return undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<undefined>(resolve => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([step(), stopped]);
    } catch (err) {
      this.fail(part, err);
      return undefined;
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  private async runAgent(): Promise<void> {
    const signal = this.abort.signal;
    const { options, logger, meter } = this;
    const { client, writer, fence, provider, resources, podInformer, server, events } = this.parts;
    const closers: [string, () => Promise<void>][] = [];
    const running: Promise<void>[] = [];
    let startupTimer: NodeJS.Timeout | undefined;
    /** Why start-up is taking long (a step being retried), as the cause of a start-up timeout. */
    let startupProblem: unknown;
    const armStartupTimeout = (): void => {
      const startupTimeoutMs = options.startupTimeoutMs ?? 0;
      if (startupTimeoutMs <= 0) return;
      startupTimer = setTimeout(
        () =>
          this.fail(
            'start-up',
            new Error(`the node was not ready within the startup timeout of ${startupTimeoutMs} ms`, {
              cause: startupProblem,
            }),
          ),
        startupTimeoutMs,
      );
    };
    try {
      // The scoped cache watches exactly the Secrets/ConfigMaps these pods refer to.
      const unfollow = resources.followPods(podInformer);
      closers.push([
        'scoped caches',
        async () => {
          unfollow();
          await resources.stop();
        },
      ]);
      // A standby keeps its caches warm too, so that taking over is a matter of milliseconds.
      podInformer.start(signal);
      closers.push(['pod informer', () => podInformer.stop()]);
      if (server) closers.push(['kubelet API', () => server.close()]);

      const lease = this.leaseLock();
      // The Node, once registered, owns the leader lease (as it owns the node Lease).
      const registeredNode: { controller?: NodeController } = {};
      if (fence && lease) {
        const elector = new LeaderElector({
          client,
          fence,
          namespace: lease.namespace,
          name: lease.name,
          identity: options.leaderElection?.identity ?? leaderIdentity(),
          leaseDurationMs: options.leaderElection?.leaseDurationMs,
          renewDeadlineMs: options.leaderElection?.renewDeadlineMs,
          retryPeriodMs: options.leaderElection?.retryPeriodMs,
          owner: () => {
            const uid = registeredNode.controller?.nodeUid();
            return uid ? { apiVersion: 'v1', kind: 'Node', name: options.nodeName, uid } : undefined;
          },
          logger,
          metrics: meter,
        });
        // Losing the lease stops everything in the same turn: no provider call or API write starts
        // after the fence has closed.
        fence.signal.addEventListener(
          'abort',
          () => this.fail('leader election', new LeadershipLostError(errorMessage(fence.signal.reason))),
          { once: true },
        );
        this.lifecycleState = 'STANDBY';
        // A standby serves its metrics and health but not the kubelet API (503 until it leads).
        const metricsUp = await this.step('starting the metrics server', async () => {
          await server?.startMetrics();
          return true;
        });
        if (!metricsUp) return;
        const acquired = await this.step('acquiring the leader lease', async () => {
          await elector.acquire(signal);
          return true;
        });
        if (!acquired || signal.aborted) return;
        this.lifecycleState = 'STARTING';
        running.push(this.supervise('leader election', elector.hold(signal)));
      }
      armStartupTimeout();
      if (server) {
        if (!(await this.step('starting servers', () => server.start()))) return;
      }

      const template = await this.step('building the node', () => this.nodeTemplate());
      if (!template) return;
      const nodeController = new NodeController({
        client: writer,
        template,
        provider,
        managedTaintKeys: [options.taint?.key ?? DEFAULT_TAINT_KEY],
        requestedLabelKeys: Object.keys(options.nodeLabels ?? {}),
        logger: logger.child({ controller: 'node' }),
        metrics: meter,
        statusIntervalMs: options.nodeStatusIntervalMs,
      });
      registeredNode.controller = nodeController;
      const registered = await this.step('registering the node', () =>
        nodeController.register(signal, err => (startupProblem = err)),
      );
      if (!registered) return;
      const pods = new PodController({
        nodeName: options.nodeName,
        client: writer,
        podInformer,
        resources,
        provider,
        events,
        workers: options.podSyncWorkers,
        logger: logger.child({ controller: 'pod' }),
        metrics: meter,
        allocatable: registered.status?.allocatable,
        hostIPs: [this.nodeIP],
        providerCallTimeoutMs: options.providerCallTimeoutMs,
        inventoryResyncIntervalMs: options.resyncPeriodMs,
      });

      running.push(
        this.supervise('node status loop', nodeController.run(signal)),
        this.supervise('pod controller', pods.run(signal)),
      );
      // The leader election renews the node Lease when that is its lock; otherwise the lease loop does.
      if (!lease?.isNodeLease) {
        const nodeLease = new LeaseController({
          client: writer,
          nodeName: options.nodeName,
          durationSeconds: options.leaseDurationSeconds,
          nodeUid: () => nodeController.nodeUid(),
          logger: logger.child({ controller: 'lease' }),
          metrics: meter,
        });
        running.push(this.supervise('lease loop', nodeLease.run(signal)));
      }
      const synced = await this.step('listing pods', async () => {
        await podInformer.waitForSync(signal);
        return true;
      });
      if (!synced) return;
      clearTimeout(startupTimer);
      if (signal.aborted) return;
      this.lifecycleState = 'RUNNING';
      this.markReady();
      logger.info('virtual node is ready', { kubeletPort: this.parts.kubeletPort });
      await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      clearTimeout(startupTimer);
      if (!signal.aborted) this.abort.abort(new Error('the virtual node is stopping'));
      this.failReady(this.cause ?? new Error('the virtual node stopped before it was ready'));
      await this.teardown(running, closers);
    }
  }

  /** The leader election's Lease, when it is on: the node's own Lease unless configured otherwise. */
  private leaseLock(): { namespace: string; name: string; isNodeLease: boolean } | undefined {
    const election = this.options.leaderElection;
    if (!election) return undefined;
    const namespace = election.leaseNamespace ?? LEASE_NAMESPACE;
    const name = election.leaseName ?? this.options.nodeName;
    return { namespace, name, isNodeLease: namespace === LEASE_NAMESPACE && name === this.options.nodeName };
  }

  /**
   * Waits for the parts to end, then closes what was opened in reverse order, the provider, the event
   * recorder and the client last; all of it within the shutdown grace period, past which nothing more is waited for.
   */
  private async teardown(running: Promise<void>[], closers: [string, () => Promise<void>][]): Promise<void> {
    const { provider, client, server, events } = this.parts;
    const deadline = Date.now() + (this.options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
    const steps: [string, () => Promise<unknown>][] = [['running parts', () => Promise.all(running)]];
    steps.push(...closers.reverse());
    // Before run() (shutdown in INITIALIZED) no closer owns the server that create() opened.
    if (closers.length === 0 && server) steps.push(['kubelet API', () => server.close()]);
    // Events last but one: a provider may still report some while it closes.
    steps.push(
      ['provider', async () => provider.close?.()],
      ['event recorder', () => events.close()],
      ['API client', () => client.close()],
    );
    for (const [what, step] of steps) {
      const left = deadline - Date.now();
      const outcome = await settleWithin(step, left);
      if (outcome === 'timeout') {
        this.logger.warn('not stopped within the shutdown grace period; going on without it', { part: what });
      } else if (outcome instanceof Error) {
        this.logger.warn('error while stopping', { part: what, err: errorMessage(outcome) });
      }
    }
  }

  private static kubeletServer(
    options: VirtualKubeletOptions,
    parts: {
      client: KubeClient;
      nodeIP: string;
      podInformer: Informer<V1Pod>;
      logger: Logger;
      meter: MetricMeter;
      provider: () => Provider;
    },
  ): KubeletServer | undefined {
    const api = options.kubeletApi;
    if (api === false) return undefined;
    const settings = api ?? { tls: { selfSigned: true as const }, auth: { webhook: true } };
    return KubeletServer.create({
      nodeName: options.nodeName,
      provider: parts.provider,
      listPods: () => parts.podInformer.list(),
      listen: { host: settings.host, port: settings.port },
      tls:
        'csr' in settings.tls
          ? { csr: { hosts: [options.nodeName, parts.nodeIP], ...settings.tls.csr, client: parts.client } }
          : settings.tls,
      auth: { ...settings.auth, webhook: settings.auth.webhook === false ? undefined : parts.client },
      streaming: {
        idleTimeoutMs: settings.streamIdleTimeoutMs,
        creationTimeoutMs: settings.streamCreationTimeoutMs,
      },
      logger: parts.logger,
      metrics: {
        meter: parts.meter,
        registry: parts.meter instanceof PrometheusMeter ? parts.meter.registry : undefined,
        listen: options.metricsAddress,
      },
    });
  }

  private async nodeTemplate(): Promise<V1Node> {
    const { options } = this;
    const port = this.parts.kubeletPort ?? 0;
    const template = buildNodeTemplate({
      nodeName: options.nodeName,
      operatingSystem: options.operatingSystem ?? 'linux',
      internalIP: this.nodeIP,
      daemonPort: port,
      kubeletVersion: KUBELET_VERSION,
      taint:
        options.taint === null
          ? undefined
          : (options.taint ?? { key: DEFAULT_TAINT_KEY, value: options.providerName, effect: 'NoSchedule' }),
      labels: options.nodeLabels,
    });
    await this.parts.provider.configureNode?.(template);
    // Where the API server reaches this agent is core's to say: the port actually listened on.
    template.status = { ...template.status, daemonEndpoints: { kubeletEndpoint: { Port: port } } };
    return template;
  }
}

/**
 * Runs `step` and waits at most `ms` for it: its error if it failed, 'timeout' if it did not settle
 * in time (it goes on unobserved), undefined if it finished.
 */
async function settleWithin(
  step: () => Promise<unknown>,
  ms: number,
): Promise<Error | 'timeout' | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>(resolve => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    const settled = (async () => {
      try {
        await step();
        return undefined;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    })();
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
