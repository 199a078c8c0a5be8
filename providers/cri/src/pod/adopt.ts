import type { V1Pod } from '@kubernetes/client-node';
import { podIdentity, type Logger } from '@vkubelet/provider-kit';

import type { CriClient } from '../cri/client.js';
import type { Container } from '../cri/types.js';
import { ANNOTATION_POD, LABEL_NODE } from '../labels.js';
import { newContainerRecord, type ContainerRecord, type SandboxRecord } from './record.js';
import { sandboxConfig, type SandboxContext } from './sandbox-config.js';
import { terminated } from './status.js';
import { nsToDate } from './time.js';
import { join } from 'node:path';

/**
 * Rebuilds the pods an earlier process started on this node: sandboxes carry the node label and the
 * pod as created; containers their name and attempt. The newest attempt per container is the current
 * instance, the one before it the previous; older ones are removed.
 */
export async function adoptPods(
  cri: CriClient,
  nodeName: string,
  podRoot: string,
  context: (pod: V1Pod, podDir: string) => SandboxContext,
  hostPathsFor: (pod: V1Pod, podDir: string) => Promise<Map<string, string>>,
  logger: Logger,
  signal: AbortSignal,
): Promise<Array<{ pod: V1Pod; state: SandboxRecord }>> {
  const o = { signal };
  const records: Array<{ pod: V1Pod; state: SandboxRecord }> = [];
  for (const sandbox of await cri.listPodSandbox({ [LABEL_NODE]: nodeName }, o)) {
    const json = sandbox.annotations[ANNOTATION_POD];
    if (!json) {
      logger.warn('sandbox without pod annotation left alone', { sandbox: sandbox.id });
      continue;
    }
    const pod = JSON.parse(json) as V1Pod;
    const id = podIdentity(pod);
    const podDir = join(podRoot, id.uid);
    const containers = await cri.listContainers({ pod_sandbox_id: sandbox.id }, o);
    const byName = new Map<string, Container[]>();
    for (const c of containers) byName.set(c.metadata.name, [...(byName.get(c.metadata.name) ?? []), c]);
    const build = async (
      kind: 'init' | 'app',
      spec: NonNullable<V1Pod['spec']>['containers'][number],
    ): Promise<ContainerRecord> => {
      const record = newContainerRecord(kind, spec);
      const instances = (byName.get(spec.name) ?? []).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      const [current, previous, ...older] = instances;
      for (const old of older) await cri.removeContainer(old.id, o).catch(() => undefined);
      if (previous) {
        record.id = previous.id;
        record.status = await cri.containerStatus(previous.id, o);
        record.lastTermination = terminated(record);
        record.previousId = previous.id;
      }
      if (current) {
        record.id = current.id;
        record.attempt = current.metadata.attempt;
        record.status = await cri.containerStatus(current.id, o);
        record.imageRef = current.image_ref;
      } else {
        record.id = undefined;
        record.status = undefined;
      }
      return record;
    };
    const init: ContainerRecord[] = [];
    for (const spec of pod.spec?.initContainers ?? []) init.push(await build('init', spec));
    const app: ContainerRecord[] = [];
    for (const spec of pod.spec?.containers ?? []) app.push(await build('app', spec));
    records.push({
      pod,
      state: {
        podDir,
        sandboxConfig: sandboxConfig(pod, context(pod, podDir), sandbox.metadata.attempt),
        sandboxId: sandbox.id,
        sandboxReady: sandbox.state === 'SANDBOX_READY',
        createdAt: nsToDate(sandbox.created_at) ?? new Date(),
        hostPaths: await hostPathsFor(pod, podDir),
        init,
        app,
      },
    });
  }
  return records;
}
