import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';

import type { JobSettings } from '../../src/mapping/job.js';

export const settings: JobSettings = {
  nodeName: 'vk-nomad',
  namespace: 'apps',
  region: 'eu',
  jobPrefix: 'vk',
  datacenters: ['dc1', 'dc2'],
  priority: 50,
  driver: 'docker',
  networkMode: 'bridge',
  cpuMHzPerCore: 2000,
  exclusiveCores: false,
  restart: { attempts: 5, intervalMs: 300_000, delayMs: 10_000 },
};

export function container(name: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: 'busybox:1.36', command: ['sh', '-c', 'sleep 3600'], ...extra };
}

export function pod(spec: Partial<V1PodSpec> = {}, metadata: V1Pod['metadata'] = {}): V1Pod {
  return {
    metadata: { namespace: 'default', name: 'web', uid: 'uid-1', ...metadata },
    spec: { containers: [container('app')], ...spec },
  };
}
