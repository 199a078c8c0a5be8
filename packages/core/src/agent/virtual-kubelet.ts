import type { V1Node, V1Pod } from '@kubernetes/client-node';

import {
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
import { PrometheusMeter } from '../metrics/prometheus-meter.js';
import { LeaseController } from '../node/lease-controller.js';
import { NodeController } from '../node/node-controller.js';
import { buildNodeTemplate } from '../node/node-template.js';
import { PodController } from '../pod/index.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { IllegalStateError, type VirtualKubeletState } from './lifecycle.js';
import { defaultNodeIP } from './node-ip.js';
import { DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS, type VirtualKubeletOptions } from './options.js';
import { KUBELET_VERSION } from './version.js';

const DEFAULT_TAINT_KEY = 'virtual-kubelet.io/provider';

/**
 * A virtual node: registers a Node, keeps its lease, runs the pods bound to it through a provider and
 * serves the kubelet API. Created with `VirtualKubelet.create()`, driven by `run()` (resolves when
 * the agent stops) and stopped by `shutdown()`.
 */
export class VirtualKubelet {
  #state: VirtualKubeletState = 'INITIALIZED';
  readonly #abort = new AbortController();
  readonly #ready: Promise<void>;
  #markReady!: () => void;
  #failReady!: (err: unknown) => void;
  #running: Promise<void> | undefined;
  #kubeletPort: number | undefined;

  private constructor(
    private readonly options: VirtualKubeletOptions,
    private readonly client: KubeClient,
    private readonly provider: Provider,
    private readonly resources: ScopedResourceCache,
    private readonly logger: Logger,
    private readonly meter: MetricMeter,
    private readonly nodeIP: string,
  ) {
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#markReady = resolve;
      this.#failReady = reject;
    });
    // A failure before anyone waits for readiness must not surface as an unhandled rejection.
    this.#ready.catch(() => {});
  }

  /** Validates the options, connects the client and creates the provider. */
  static async create(options: VirtualKubeletOptions): Promise<VirtualKubelet> {
    if (!options.nodeName || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.nodeName)) {
      throw new TypeError(`invalid node name "${options.nodeName}": must be a lowercase RFC 1123 subdomain`);
    }
    const logger = (options.logger ?? noopLogger).child({ node: options.nodeName });
    const meter = options.meter ?? new PrometheusMeter();
    const client = KubeClient.create({
      kubeConfig: options.kubeConfig,
      qps: options.kubeApiQps ?? DEFAULT_KUBE_API_QPS,
      burst: options.kubeApiBurst ?? DEFAULT_KUBE_API_BURST,
      metrics: meter,
      logger,
    });
    const resources = new ScopedResourceCache({ client, logger, metrics: meter });
    const nodeIP = options.nodeIP ?? defaultNodeIP();
    const context: ProviderContext = {
      nodeName: options.nodeName,
      operatingSystem: options.operatingSystem ?? 'linux',
      internalIP: nodeIP,
      daemonPort: options.kubeletApi === false ? 0 : (options.kubeletApi?.port ?? 10250),
      clusterDomain: options.clusterDomain ?? 'cluster.local',
      configPath: options.providerConfigPath,
      resources,
      logger: logger.child({ provider: options.providerName }),
      metrics: meter,
    };
    const provider =
      typeof options.provider === 'function' ? await options.provider(context) : options.provider;
    return new VirtualKubelet(options, client, provider, resources, logger, meter, nodeIP);
  }

  get state(): VirtualKubeletState {
    return this.#state;
  }

  /** The port the kubelet API listens on, once started. */
  get kubeletPort(): number | undefined {
    return this.#kubeletPort;
  }

  /** Resolves when the node is registered and pods are being synced; rejects if start-up fails. */
  whenReady(): Promise<void> {
    return this.#ready;
  }

  /** Runs until `shutdown()`; rejects if a part fails for good. Call once. */
  run(): Promise<void> {
    if (this.#state !== 'INITIALIZED') throw new IllegalStateError('run', this.#state);
    this.#state = 'STARTING';
    this.#running = this.#run().then(
      () => {
        this.#state = 'STOPPED';
      },
      (err: unknown) => {
        this.#state = 'FAILED';
        this.#failReady(err);
        throw err;
      },
    );
    return this.#running;
  }

  /** Stops every part, waiting at most the shutdown grace period. Safe to call more than once. */
  async shutdown(): Promise<void> {
    if (this.#state === 'INITIALIZED') {
      this.#state = 'STOPPED';
      await this.provider.close?.();
      return;
    }
    if (this.#state === 'STARTING' || this.#state === 'RUNNING') this.#state = 'STOPPING';
    this.#abort.abort();
    if (!this.#running) return;
    const grace = this.options.shutdownGraceMs ?? 30_000;
    const timer = new AbortController();
    await Promise.race([this.#running.catch(() => {}), abortableSleep(grace, timer.signal)]);
    timer.abort();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const { options, client, provider, logger, meter } = this;
    const stack: (() => Promise<void>)[] = [];
    try {
      const podInformer = new Informer<V1Pod>({
        client,
        path: '/api/v1/pods',
        fieldSelector: `spec.nodeName=${options.nodeName}`,
        name: 'pods',
        logger,
        metrics: meter,
      });
      // The scoped cache watches exactly the Secrets/ConfigMaps these pods refer to.
      const unfollow = this.resources.followPods(podInformer);
      stack.push(async () => {
        unfollow();
        await this.resources.stop();
      });
      podInformer.start(signal);
      stack.push(() => podInformer.stop());

      const server = this.#kubeletServer(podInformer);
      if (server) {
        const started = await server.start();
        this.#kubeletPort = started.port;
        stack.push(() => server.close());
      }

      const template = await this.#nodeTemplate();
      const node = new NodeController({
        client,
        template,
        provider,
        managedTaintKeys: [options.taint?.key ?? DEFAULT_TAINT_KEY],
        requestedLabelKeys: Object.keys(options.nodeLabels ?? {}),
        logger: logger.child({ controller: 'node' }),
        metrics: meter,
        statusIntervalMs: options.nodeStatusIntervalMs,
      });
      const registered = await node.register(signal);
      const lease = new LeaseController({
        client,
        nodeName: options.nodeName,
        durationSeconds: options.leaseDurationSeconds,
        nodeUid: () => node.nodeUid(),
        logger: logger.child({ controller: 'lease' }),
        metrics: meter,
      });
      const events = new EventRecorder({
        nodeName: options.nodeName,
        sink: eventsApiSink(client),
        logger,
        metrics: meter,
      });
      stack.push(() => events.close());
      const pods = new PodController({
        nodeName: options.nodeName,
        client,
        podInformer,
        resources: this.resources,
        provider,
        events,
        workers: options.podSyncWorkers,
        logger: logger.child({ controller: 'pod' }),
        metrics: meter,
        allocatable: registered.status?.allocatable,
        hostIPs: [this.nodeIP],
      });

      const parts = [node.run(signal), lease.run(signal), pods.run(signal)];
      await this.#waitUntilReady(podInformer, signal);
      if (!signal.aborted) {
        this.#state = 'RUNNING';
        this.#markReady();
        logger.info('virtual node is ready', { kubeletPort: this.#kubeletPort });
      }
      await Promise.all(parts);
    } finally {
      for (const close of stack.reverse()) {
        await close().catch((err: unknown) => logger.warn('error while stopping', { err }));
      }
      await provider
        .close?.()
        .catch((err: unknown) => logger.warn('error while closing the provider', { err }));
      await client.close();
    }
  }

  async #waitUntilReady(podInformer: Informer<V1Pod>, signal: AbortSignal): Promise<void> {
    const timeoutMs = this.options.startupTimeoutMs ?? 0;
    const wait = podInformer.waitForSync(signal);
    if (timeoutMs <= 0) return wait;
    const timeout = AbortSignal.timeout(timeoutMs);
    await Promise.race([
      wait,
      new Promise<never>((_, reject) =>
        timeout.addEventListener(
          'abort',
          () => reject(new Error(`not ready within the startup timeout of ${timeoutMs} ms`)),
          {
            once: true,
          },
        ),
      ),
    ]);
  }

  #kubeletServer(podInformer: Informer<V1Pod>): KubeletServer | undefined {
    const api = this.options.kubeletApi;
    if (api === false) return undefined;
    const settings = api ?? { tls: { selfSigned: true as const }, auth: { webhook: true } };
    return KubeletServer.create({
      nodeName: this.options.nodeName,
      provider: this.provider,
      listPods: () => podInformer.list(),
      listen: { host: settings.host, port: settings.port },
      tls:
        'csr' in settings.tls
          ? { csr: { hosts: [this.options.nodeName, this.nodeIP], ...settings.tls.csr, client: this.client } }
          : settings.tls,
      auth: { ...settings.auth, webhook: settings.auth.webhook === false ? undefined : this.client },
      streaming: {
        idleTimeoutMs: settings.streamIdleTimeoutMs,
        creationTimeoutMs: settings.streamCreationTimeoutMs,
      },
      logger: this.logger,
      metrics: {
        meter: this.meter,
        registry: this.meter instanceof PrometheusMeter ? this.meter.registry : undefined,
        listen: this.options.metricsAddress,
      },
    });
  }

  async #nodeTemplate(): Promise<V1Node> {
    const { options } = this;
    const template = buildNodeTemplate({
      nodeName: options.nodeName,
      operatingSystem: options.operatingSystem ?? 'linux',
      internalIP: this.nodeIP,
      daemonPort: this.#kubeletPort ?? 0,
      kubeletVersion: KUBELET_VERSION,
      taint:
        options.taint === null
          ? undefined
          : (options.taint ?? { key: DEFAULT_TAINT_KEY, value: options.providerName, effect: 'NoSchedule' }),
      labels: options.nodeLabels,
    });
    await this.provider.configureNode?.(template);
    // Where the API server reaches this agent is core's to say: the port actually listened on.
    template.status = {
      ...template.status,
      daemonEndpoints: { kubeletEndpoint: { Port: this.#kubeletPort ?? 0 } },
    };
    return template;
  }
}
