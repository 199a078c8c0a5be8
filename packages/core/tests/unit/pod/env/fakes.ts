import type { V1ConfigMap, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import type { ResourceLister } from '@vkubelet/provider-kit';

import type { EventType, PodEventRecorder } from '../../../../src/events/types.js';

export interface RecordedEvent {
  type: EventType;
  reason: string;
  note: string;
}

export class RecordingEvents implements PodEventRecorder {
  readonly events: RecordedEvent[] = [];
  event(_pod: V1Pod, type: EventType, reason: string, note: string): void {
    this.events.push({ type, reason, note });
  }
  reasons(): string[] {
    return this.events.map(event => event.reason);
  }
}

export class FakeResources implements ResourceLister {
  configMaps = new Map<string, V1ConfigMap>();
  secrets = new Map<string, V1Secret>();
  services: V1Service[] = [];
  failing = new Set<string>();
  reads = 0;

  configMap(namespace: string, name: string, data: Record<string, string>): this {
    this.configMaps.set(`${namespace}/${name}`, { metadata: { namespace, name }, data });
    return this;
  }
  secret(namespace: string, name: string, data: Record<string, string>): this {
    const encoded = Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    this.secrets.set(`${namespace}/${name}`, { metadata: { namespace, name }, data: encoded });
    return this;
  }
  service(
    namespace: string,
    name: string,
    clusterIP: string,
    ports: { port: number; name?: string; protocol?: string }[],
  ): this {
    this.services.push({ metadata: { namespace, name }, spec: { clusterIP, ports } });
    return this;
  }
  async getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    this.reads++;
    if (this.failing.has(name)) throw new Error('boom');
    return this.configMaps.get(`${namespace}/${name}`);
  }
  async getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    this.reads++;
    if (this.failing.has(name)) throw new Error('boom');
    return this.secrets.get(`${namespace}/${name}`);
  }
  async listServices(namespace?: string): Promise<V1Service[]> {
    return this.services.filter(
      service => namespace === undefined || service.metadata?.namespace === namespace,
    );
  }
}

export function podWith(
  env: NonNullable<V1Pod['spec']>['containers'][number],
  extra: Partial<V1Pod> = {},
): V1Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'uid-1',
      labels: { app: 'web' },
      annotations: { b: '2', a: '1' },
    },
    spec: { nodeName: 'vk', serviceAccountName: 'sa', containers: [env] },
    ...extra,
  };
}
