import type { V1ConfigMap, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';

import { noopLogger } from '../logger.js';
import { noopMeter } from '../metrics.js';
import type { PodEventType, ProviderContext } from '../provider.js';

/** An event a provider reported through `context.events`. */
export interface RecordedPodEvent {
  pod: V1Pod;
  type: PodEventType;
  reason: string;
  note: string;
}

/** A ProviderContext for tests, whose ResourceLister reads the maps it exposes. */
export interface FakeProviderContext extends ProviderContext {
  /** ConfigMaps by `namespace/name`. */
  readonly configMaps: Map<string, V1ConfigMap>;
  /** Secrets by `namespace/name`. */
  readonly secrets: Map<string, V1Secret>;
  readonly services: V1Service[];
  /** What the provider reported through `events`, oldest first (unless `events` is overridden). */
  readonly recordedEvents: RecordedPodEvent[];
}

/**
 * A ProviderContext as core would hand it to a provider factory, for tests: node `vk-test`,
 * InternalIP 192.0.2.1, port 10250, cluster.local, no config file, a no-op logger and meter, and a
 * ResourceLister over in-memory maps the test fills (`context.secrets.set('ns/name', secret)`), and
 * an event sink that keeps what it is given in `recordedEvents`. Any field can be overridden.
 */
export function fakeProviderContext(overrides: Partial<ProviderContext> = {}): FakeProviderContext {
  const configMaps = new Map<string, V1ConfigMap>();
  const secrets = new Map<string, V1Secret>();
  const services: V1Service[] = [];
  const recordedEvents: RecordedPodEvent[] = [];
  return {
    nodeName: 'vk-test',
    operatingSystem: 'linux',
    internalIP: '192.0.2.1',
    daemonPort: 10250,
    clusterDomain: 'cluster.local',
    logger: noopLogger,
    metrics: noopMeter,
    resources: {
      getConfigMap: async (namespace, name) => configMaps.get(`${namespace}/${name}`),
      getSecret: async (namespace, name) => secrets.get(`${namespace}/${name}`),
      listServices: async namespace =>
        services.filter(service => namespace === undefined || service.metadata?.namespace === namespace),
    },
    events: { event: (pod, type, reason, note) => recordedEvents.push({ pod, type, reason, note }) },
    ...overrides,
    configMaps,
    secrets,
    services,
    recordedEvents,
  };
}
