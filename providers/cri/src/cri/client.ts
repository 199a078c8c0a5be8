import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  backendCaller,
  isNotFound,
  NotFoundError,
  SpanAttribute,
  TransientError,
} from '@vkubelet/provider-kit';

import type { RuntimeHealth } from './health.js';

import type {
  Container,
  ContainerConfig,
  ContainerEvent,
  ContainerStats,
  ContainerStatus,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStats,
  PodSandboxStatus,
  VersionInfo,
} from './types.js';

const PROTO_PATH = fileURLToPath(new URL('../../proto/cri.proto', import.meta.url));

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

type ServiceClient = grpc.Client & Record<string, UnaryMethod>;

let cachedPackage: grpc.GrpcObject | undefined;
function loadPackage(): grpc.GrpcObject {
  cachedPackage ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(PROTO_PATH, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    }),
  );
  return cachedPackage;
}

/** Options of every call: an AbortSignal (cancels the RPC) and an optional deadline. */
export interface RpcOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The door of every CRI request. */
const callRuntime = backendCaller({
  system: 'cri',
  attributes: { [SpanAttribute.RPC_SYSTEM]: 'grpc' },
  toError: (error, method) =>
    typeof (error as Partial<grpc.ServiceError>).code === 'number'
      ? toProviderError(method, error as grpc.ServiceError)
      : error,
});

/** Where the image service is, the default deadline, and who hears whether the runtime answers. */
export interface CriClientOptions {
  /** The image service's socket; the runtime's when absent. */
  imageEndpoint?: string | undefined;
  /** Deadline of a call that sets none (default 120 s). */
  defaultTimeoutMs?: number;
  /** Told of every answer and every failure to reach the runtime. */
  health?: RuntimeHealth;
}

/** The CRI client's public surface: what the sync, adoption and the tests' in-memory runtime share. */
export type CriApi = Pick<CriClient, keyof CriClient>;

/** A typed client of the CRI RuntimeService and ImageService subset this provider uses. */
export class CriClient {
  private readonly runtime: ServiceClient;
  private readonly images: ServiceClient;
  private readonly defaultTimeoutMs: number;
  private readonly health: RuntimeHealth | undefined;

  constructor(runtimeEndpoint: string, options: CriClientOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 120_000;
    this.health = options.health;
    const v1 = (loadPackage()['runtime'] as grpc.GrpcObject)['v1'] as grpc.GrpcObject;
    const Runtime = v1['RuntimeService'] as grpc.ServiceClientConstructor;
    const Images = v1['ImageService'] as grpc.ServiceClientConstructor;
    const credentials = grpc.credentials.createInsecure();
    const channelOptions = {
      // Messages such as ListContainerStats grow with the number of containers; CRI allows 16 MiB.
      'grpc.max_receive_message_length': 16 << 20,
      // A restarted runtime is found within seconds (grpc-js would otherwise wait up to 2 minutes).
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 2_000,
    };
    const imageEndpoint = options.imageEndpoint ?? runtimeEndpoint;
    this.runtime = new Runtime(toTarget(runtimeEndpoint), credentials, channelOptions) as ServiceClient;
    this.images = new Images(toTarget(imageEndpoint), credentials, channelOptions) as ServiceClient;
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }

  version(o?: RpcOptions): Promise<VersionInfo> {
    return this.call(this.runtime, 'Version', { version: 'v1' }, o);
  }

  async status(
    o?: RpcOptions,
  ): Promise<{ type: string; status: boolean; reason: string; message: string }[]> {
    const res = await this.call<{
      status: { conditions: { type: string; status: boolean; reason: string; message: string }[] } | null;
    }>(this.runtime, 'Status', {}, o);
    return res.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, o?: RpcOptions): Promise<string> {
    return (await this.call<{ pod_sandbox_id: string }>(this.runtime, 'RunPodSandbox', { config }, o))
      .pod_sandbox_id;
  }

  async stopPodSandbox(id: string, o?: RpcOptions): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { pod_sandbox_id: id }, o);
  }

  async removePodSandbox(id: string, o?: RpcOptions): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { pod_sandbox_id: id }, o);
  }

  async podSandboxStatus(id: string, o?: RpcOptions): Promise<PodSandboxStatus> {
    const res = await this.call<{ status: PodSandboxStatus }>(
      this.runtime,
      'PodSandboxStatus',
      { pod_sandbox_id: id },
      o,
    );
    return res.status;
  }

  async listPodSandbox(labelSelector: Record<string, string>, o?: RpcOptions): Promise<PodSandbox[]> {
    const res = await this.call<{ items: PodSandbox[] }>(
      this.runtime,
      'ListPodSandbox',
      { filter: { label_selector: labelSelector } },
      o,
    );
    return res.items;
  }

  async createContainer(
    sandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
    o?: RpcOptions,
  ): Promise<string> {
    const res = await this.call<{ container_id: string }>(
      this.runtime,
      'CreateContainer',
      { pod_sandbox_id: sandboxId, config, sandbox_config: sandboxConfig },
      o,
    );
    return res.container_id;
  }

  async startContainer(id: string, o?: RpcOptions): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { container_id: id }, o);
  }

  async stopContainer(id: string, timeoutSeconds: number, o?: RpcOptions): Promise<void> {
    await this.call(this.runtime, 'StopContainer', { container_id: id, timeout: timeoutSeconds }, o);
  }

  async removeContainer(id: string, o?: RpcOptions): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { container_id: id }, o);
  }

  async listContainers(
    filter: { pod_sandbox_id?: string; label_selector?: Record<string, string> },
    o?: RpcOptions,
  ): Promise<Container[]> {
    return (await this.call<{ containers: Container[] }>(this.runtime, 'ListContainers', { filter }, o))
      .containers;
  }

  async containerStatus(id: string, o?: RpcOptions): Promise<ContainerStatus> {
    return (
      await this.call<{ status: ContainerStatus }>(this.runtime, 'ContainerStatus', { container_id: id }, o)
    ).status;
  }

  async exec(
    request: {
      container_id: string;
      cmd: string[];
      tty: boolean;
      stdin: boolean;
      stdout: boolean;
      stderr: boolean;
    },
    o?: RpcOptions,
  ): Promise<string> {
    return (await this.call<{ url: string }>(this.runtime, 'Exec', request, o)).url;
  }

  async attach(
    request: { container_id: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean },
    o?: RpcOptions,
  ): Promise<string> {
    return (await this.call<{ url: string }>(this.runtime, 'Attach', request, o)).url;
  }

  async portForward(sandboxId: string, ports: number[], o?: RpcOptions): Promise<string> {
    return (
      await this.call<{ url: string }>(
        this.runtime,
        'PortForward',
        { pod_sandbox_id: sandboxId, port: ports },
        o,
      )
    ).url;
  }

  async listContainerStats(labelSelector: Record<string, string>, o?: RpcOptions): Promise<ContainerStats[]> {
    const res = await this.call<{ stats: ContainerStats[] }>(
      this.runtime,
      'ListContainerStats',
      { filter: { label_selector: labelSelector } },
      o,
    );
    return res.stats;
  }

  async listPodSandboxStats(
    labelSelector: Record<string, string>,
    o?: RpcOptions,
  ): Promise<PodSandboxStats[]> {
    const res = await this.call<{ stats: PodSandboxStats[] }>(
      this.runtime,
      'ListPodSandboxStats',
      { filter: { label_selector: labelSelector } },
      o,
    );
    return res.stats;
  }

  /** Whether the image is present in the runtime's store (ImageStatus answers an empty image if not). */
  async imagePresent(image: string, o?: RpcOptions): Promise<boolean> {
    const res = await this.call<{ image: { id: string } | null }>(
      this.images,
      'ImageStatus',
      { image: { image } },
      o,
    );
    return Boolean(res.image?.id);
  }

  async pullImage(image: string, sandboxConfig: PodSandboxConfig, o?: RpcOptions): Promise<string> {
    const res = await this.call<{ image_ref: string }>(
      this.images,
      'PullImage',
      { image: { image }, sandbox_config: sandboxConfig },
      o,
    );
    return res.image_ref;
  }

  /**
   * The runtime's container event stream (containerd >= 1.7). Calls `onEvent` per event; `onEnd` when the
   * stream ends or fails, with the error (UNIMPLEMENTED on runtimes without events).
   */
  containerEvents(
    onEvent: (event: ContainerEvent) => void,
    onEnd: (error?: grpc.ServiceError) => void,
  ): () => void {
    const method = this.runtime['GetContainerEvents'] as unknown as (
      request: object,
    ) => grpc.ClientReadableStream<ContainerEvent>;
    const stream = method.call(this.runtime, {});
    let ended = false;
    const end = (error?: grpc.ServiceError): void => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on('data', onEvent);
    stream.on('error', (error: grpc.ServiceError) => end(error));
    stream.on('end', () => end());
    return () => {
      ended = true;
      stream.cancel();
    };
  }

  private async call<T>(
    client: ServiceClient,
    method: string,
    request: object,
    o: RpcOptions = {},
  ): Promise<T> {
    try {
      const answer = await callRuntime(method, () => this.rpc<T>(client, method, request, o));
      this.health?.reached();
      return answer;
    } catch (error) {
      if (isUnreachable(error)) this.health?.unreachable(error);
      else if (grpcCode(error) !== undefined) this.health?.reached();
      throw error;
    }
  }

  private rpc<T>(client: ServiceClient, method: string, request: object, o: RpcOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (o.signal?.aborted) {
        reject(o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted'));
        return;
      }
      const deadline = new Date(Date.now() + (o.timeoutMs ?? this.defaultTimeoutMs));
      const fn = client[method];
      if (!fn) {
        reject(new Error(`CRI method ${method} missing from proto`));
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = fn.call(client, request, new grpc.Metadata(), { deadline }, (error, response) => {
        o.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response as T);
      });
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * containerd's CRI server answers every call so until its restart recovery is done (checkInitialized
 * of its instrumented service): as gRPC UNKNOWN (a plain error) in 1.6, as UNAVAILABLE in 2.x. Either
 * way the runtime is not there yet.
 */
const NOT_INITIALIZED = /server is not initialized yet/;

/** Maps gRPC codes onto the provider error kinds core reacts to. */
function toProviderError(method: string, error: grpc.ServiceError): Error {
  const message = `CRI ${method}: ${error.details || error.message}`;
  if (notInitialized(error)) return new TransientError(message, { cause: error });
  switch (error.code) {
    case grpc.status.NOT_FOUND:
      return new NotFoundError(message, { cause: error });
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.RESOURCE_EXHAUSTED:
      return new TransientError(message, { cause: error });
    default:
      return Object.assign(new Error(message, { cause: error }), { grpcCode: error.code });
  }
}

/** The gRPC status code of an error from CriClient, if it came from the runtime. */
export function grpcCode(error: unknown): number | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'number' ? cause.code : undefined;
}

/** For `.catch()`: an object the runtime no longer has is as good as removed. */
export function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}

function notInitialized(error: Partial<grpc.ServiceError>): boolean {
  return error.code === grpc.status.UNKNOWN && NOT_INITIALIZED.test(error.details ?? error.message ?? '');
}

/**
 * The call never reached the runtime (no socket, nothing listening, the connection dropped), or the
 * runtime is starting and not serving yet.
 */
export function isUnreachable(error: unknown): boolean {
  if (grpcCode(error) === grpc.status.UNAVAILABLE) return true;
  const cause = (error as { cause?: Partial<grpc.ServiceError> } | undefined)?.cause;
  return cause !== undefined && notInitialized(cause);
}

/** What containerd says when the request a step ran under went away (the agent died, a timeout). */
const REQUEST_ENDED = /context canceled|context deadline exceeded/;

/**
 * The request failed, not the work it asked for: it was cancelled (the caller gave up, the agent
 * died), ran out of time, or never reached the runtime. The runtime's own report of the object says
 * what really happened.
 */
export function isInterruptedCall(error: unknown): boolean {
  const code = grpcCode(error);
  if (code === grpc.status.CANCELLED || code === grpc.status.DEADLINE_EXCEEDED || isUnreachable(error))
    return true;
  return error instanceof Error && (error.name === 'AbortError' || REQUEST_ENDED.test(error.message));
}

function toTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://') || endpoint.startsWith('unix:')) return endpoint;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}
