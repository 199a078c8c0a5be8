import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Provider } from '../../src/index.js';

export const call = () => ({ signal: AbortSignal.timeout(10_000) });

export function makePod(
  name: string,
  containers: V1Container[],
  extra: {
    namespace?: string;
    restartPolicy?: string;
    annotations?: Record<string, string>;
    init?: V1Container[];
  } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      uid: randomUUID(),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      restartPolicy: extra.restartPolicy ?? 'Never',
      containers,
      ...(extra.init ? { initContainers: extra.init } : {}),
    },
  };
}

export const sh = (name: string, script: string): V1Container => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', script],
});

export async function waitForStatus(
  provider: Provider,
  pod: V1Pod,
  accept: (status: V1PodStatus) => boolean,
  timeoutMs = 3_000,
): Promise<V1PodStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await provider.getPodStatus(pod.metadata!.namespace!, pod.metadata!.name!, call());
    if (accept(status)) return status;
    if (Date.now() > deadline) throw new Error(`status never matched; last ${JSON.stringify(status.phase)}`);
    await sleep(10);
  }
}

export function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}
