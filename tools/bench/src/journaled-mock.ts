/**
 * A provider plugin for the restart benchmark: the mock provider with a backend that outlives its
 * process. The mock keeps its pods in memory, so after `kill -9` a real backend would still run them
 * but the mock would have none. This plugin journals each pod the mock creates, the status it showed
 * when it started running, and each deletion (JSON lines); a new process replays the journal into its
 * backend before the agent asks for anything, and reports each restored pod with the start times and
 * address it had, as a backend that kept running would. Restoring does not go through the call log,
 * so the log shows only what the restarted agent asked for.
 *
 * Load it with `virtual-kubelet --provider=<path of this module> --provider-config=<file>`, where the
 * file holds `{"<node>": {<mock settings>, "journal": "<path>"}}`.
 */
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { CallOptions, ProviderPlugin } from '@vkubelet/provider-kit';
import { MockBackend, MockProvider, parseMockSettings } from '@vkubelet/provider-kit/mock';
import { appendFileSync, createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { nodeSettings } from './node-settings.js';

type Entry =
  | { op: 'create'; pod: V1Pod }
  | { op: 'running'; key: string; uid: string; status: V1PodStatus }
  | { op: 'delete'; key: string; uid: string };

/** What a restored pod showed before the restart: its times (epoch ms) and address. */
interface Pinned {
  uid: string;
  scheduled: number;
  started: number;
  running: number;
  podIP: string;
}

const keyOf = (pod: V1Pod) => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
const time = (value: unknown) => (value === undefined ? 0 : new Date(value as string | Date).getTime());

function pinnedFrom(uid: string, status: V1PodStatus): Pinned {
  const condition = (type: string) => time(status.conditions?.find(c => c.type === type)?.lastTransitionTime);
  return {
    uid,
    scheduled: condition('PodScheduled'),
    started: time(status.startTime),
    running: condition('Ready'),
    podIP: status.podIP ?? '',
  };
}

/** The status a restored runtime reports, with the times and address the pod had before. */
function withPinned(status: V1PodStatus, pinned: Pinned): V1PodStatus {
  const at = (ms: number) => new Date(ms);
  return {
    ...status,
    conditions: status.conditions?.map(c => ({
      ...c,
      lastTransitionTime: at(
        c.type === 'PodScheduled' || c.type === 'Initialized' ? pinned.scheduled : pinned.running,
      ),
    })),
    startTime: at(pinned.started),
    podIP: pinned.podIP,
    podIPs: [{ ip: pinned.podIP }],
    containerStatuses: status.containerStatuses?.map(c =>
      c.state?.running ? { ...c, state: { running: { startedAt: at(pinned.running) } } } : c,
    ),
  };
}

/** The journal's pods still running, and what each showed once it ran. */
interface Restored {
  pods: Map<string, V1Pod>;
  running: Map<string, Pinned>;
}

/** Reads the journal line by line (it holds every pod created: megabytes on a full node). */
async function readJournal(journal: string): Promise<Restored> {
  const restored: Restored = { pods: new Map(), running: new Map() };
  if (!existsSync(journal)) return restored;
  for await (const line of createInterface({ input: createReadStream(journal), crlfDelay: Infinity })) {
    if (!line) continue;
    const entry = JSON.parse(line) as Entry;
    if (entry.op === 'create') restored.pods.set(keyOf(entry.pod), entry.pod);
    else if (entry.op === 'running') restored.running.set(entry.key, pinnedFrom(entry.uid, entry.status));
    else if (restored.pods.get(entry.key)?.metadata?.uid === entry.uid) {
      restored.pods.delete(entry.key);
      restored.running.delete(entry.key);
    }
  }
  return restored;
}

class JournaledMockProvider extends MockProvider {
  private readonly pinned = new Map<string, Pinned>();
  private readonly runningJournaled = new Set<string>();

  constructor(
    settings: ConstructorParameters<typeof MockProvider>[0],
    private readonly journal: string,
    restored: Restored,
  ) {
    const backend = new MockBackend();
    super({ ...settings, backend });
    this.restore(settings, restored);
    backend.subscribe(pod => this.journalRunning(pod));
    const notify = this.notifyPods;
    if (notify) {
      (this as { notifyPods?: MockProvider['notifyPods'] }).notifyPods = callback =>
        notify(pod => callback(this.pin(pod)));
    }
  }

  /** Starts the journal's pods in the backend, through a provider without the call log. */
  private restore(settings: ConstructorParameters<typeof MockProvider>[0], restored: Restored): void {
    const restorer = new MockProvider({ ...settings, callLog: undefined, backend: this.backend });
    const signal = new AbortController().signal;
    for (const [key, pod] of restored.pods) {
      void restorer.createPod(pod, { signal });
      const pinned = restored.running.get(key);
      if (pinned && pinned.uid === pod.metadata?.uid) {
        this.pinned.set(key, pinned);
        this.runningJournaled.add(key);
      }
    }
  }

  private journalRunning(pod: V1Pod): void {
    const key = keyOf(pod);
    if (pod.status?.phase !== 'Running' || this.runningJournaled.has(key)) return;
    this.runningJournaled.add(key);
    this.append({ op: 'running', key, uid: pod.metadata?.uid ?? '', status: pod.status });
  }

  private append(entry: Entry): void {
    appendFileSync(this.journal, `${JSON.stringify(entry)}\n`);
  }

  /** A restored pod that still runs as it did is shown with its old times. */
  private pin(pod: V1Pod): V1Pod {
    const pinned = this.pinned.get(keyOf(pod));
    if (!pinned || pod.status?.phase !== 'Running' || pod.metadata?.uid !== pinned.uid) return pod;
    return { ...pod, status: withPinned(pod.status, pinned) };
  }

  override async createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    const key = keyOf(pod);
    const known = this.backend.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    await super.createPod(pod, options);
    if (known?.uid !== pod.metadata?.uid) {
      this.pinned.delete(key);
      this.runningJournaled.delete(key);
      this.append({ op: 'create', pod });
    }
  }

  override async deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    this.pinned.delete(keyOf(pod));
    await super.deletePod(pod, options);
    this.append({ op: 'delete', key: keyOf(pod), uid: pod.metadata?.uid ?? '' });
  }

  override async getPod(namespace: string, name: string, options: CallOptions): Promise<V1Pod> {
    return this.pin(await super.getPod(namespace, name, options));
  }

  override async getPodStatus(namespace: string, name: string, options: CallOptions): Promise<V1PodStatus> {
    const status = await super.getPodStatus(namespace, name, options);
    const uid = this.backend.get(namespace, name)?.uid;
    return this.pin({ metadata: { namespace, name, uid }, status }).status ?? {};
  }

  override async getPods(options: CallOptions): Promise<V1Pod[]> {
    return (await super.getPods(options)).map(pod => this.pin(pod));
  }
}

export const plugin: ProviderPlugin = {
  name: 'journaled-mock',
  async create(context) {
    const { journal, ...settings } = nodeSettings(context);
    if (typeof journal !== 'string')
      throw new Error(`${context.configPath}: no "journal" path for ${context.nodeName}`);
    const restored = await readJournal(journal);
    return new JournaledMockProvider(
      {
        ...parseMockSettings(settings),
        nodeName: context.nodeName,
        internalIP: context.internalIP,
        operatingSystem: context.operatingSystem,
        daemonPort: context.daemonPort,
      },
      journal,
      restored,
    );
  },
};
