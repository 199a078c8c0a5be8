import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { isNotFound } from '@vkubelet/provider-kit';

import type { ContainerConfig, PodSandboxConfig } from '../../../src/cri/types.js';
import type { MemoryRuntime } from './memory-runtime.js';

const PROTO_PATH = fileURLToPath(new URL('../../../proto/cri.proto', import.meta.url));

/** The request fields the handlers read, as proto-loader decodes them. */
interface CriRequest {
  pod_sandbox_id: string;
  container_id: string;
  config: unknown;
  filter: { label_selector?: Record<string, string>; pod_sandbox_id?: string } | null;
  image: { image: string };
}

type Handler = (request: CriRequest) => Promise<object>;

/**
 * A MemoryRuntime behind the CRI's gRPC services on a unix socket: a containerd stand-in the whole
 * provider (client, reconnection, adoption) runs against in unit tests, and that can go away and
 * come back.
 */
export class GrpcRuntime {
  private server: grpc.Server | undefined;
  /**
   * Answers every call as containerd 1.6 does while its restart recovery runs: gRPC UNKNOWN,
   * "server is not initialized yet".
   */
  initializing = false;

  constructor(
    readonly runtime: MemoryRuntime,
    readonly socketPath: string,
  ) {}

  get endpoint(): string {
    return `unix://${this.socketPath}`;
  }

  async start(): Promise<void> {
    const definition = protoLoader.loadSync(PROTO_PATH, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const v1 = (grpc.loadPackageDefinition(definition)['runtime'] as grpc.GrpcObject)[
      'v1'
    ] as grpc.GrpcObject;
    const server = new grpc.Server();
    const m = this.runtime;
    const unary = (handlers: Record<string, Handler>): grpc.UntypedServiceImplementation =>
      Object.fromEntries(
        Object.entries(handlers).map(([name, handle]) => [
          name,
          (call: grpc.ServerUnaryCall<CriRequest, object>, callback: grpc.sendUnaryData<object>) => {
            if (this.initializing) {
              callback({ code: grpc.status.UNKNOWN, details: 'server is not initialized yet' });
              return;
            }
            handle(call.request).then(
              answer => callback(null, answer),
              (error: Error) =>
                callback({
                  code: isNotFound(error) ? grpc.status.NOT_FOUND : grpc.status.UNKNOWN,
                  details: error.message,
                }),
            );
          },
        ]),
      );
    server.addService((v1['RuntimeService'] as grpc.ServiceClientConstructor).service, {
      ...unary({
        Version: async () => m.version(),
        Status: async () => ({ status: { conditions: await m.status() } }),
        RunPodSandbox: async r => ({ pod_sandbox_id: await m.runPodSandbox(r.config as PodSandboxConfig) }),
        StopPodSandbox: async r => (await m.stopPodSandbox(r.pod_sandbox_id), {}),
        RemovePodSandbox: async r => (await m.removePodSandbox(r.pod_sandbox_id), {}),
        PodSandboxStatus: async r => ({ status: await m.podSandboxStatus(r.pod_sandbox_id) }),
        ListPodSandbox: async r => ({
          items: await m.listPodSandbox(r.filter?.label_selector ?? {}),
        }),
        CreateContainer: async r => ({
          container_id: await m.createContainer(r.pod_sandbox_id, r.config as ContainerConfig),
        }),
        StartContainer: async r => (await m.startContainer(r.container_id), {}),
        StopContainer: async r => (await m.stopContainer(r.container_id), {}),
        RemoveContainer: async r => (await m.removeContainer(r.container_id), {}),
        ListContainers: async r => ({ containers: await m.listContainers(r.filter ?? {}) }),
        ContainerStatus: async r => ({ status: await m.containerStatus(r.container_id) }),
      }),
    });
    server.addService((v1['ImageService'] as grpc.ServiceClientConstructor).service, {
      ...unary({
        ImageStatus: async () => ({ image: { id: 'sha256:busybox' } }),
        PullImage: async r => ({ image_ref: await m.pullImage(r.image.image) }),
      }),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.endpoint, grpc.ServerCredentials.createInsecure(), error =>
        error ? reject(error) : resolve(),
      ),
    );
    this.server = server;
  }

  /** Goes away at once, as a killed containerd does: connections drop, the socket is gone. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}
