import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '@vkubelet/core';
import { errorMessage } from '@vkubelet/provider-kit';

type PodHandler = (type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod) => void;

/**
 * Follows the pods of a namespace that match a label selector: a list, then a watch from its
 * resourceVersion, listed again whenever the watch ends, so no transition goes unseen (a transition
 * first seen in such a list is timed at that moment, a little late). A pod missing from a later list
 * is reported DELETED.
 */
export class PodWatch {
  private readonly abort = new AbortController();
  private readonly handlers: PodHandler[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly known = new Set<string>();
  private following: Promise<void> | undefined;
  /** Lists after the first one. */
  relists = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly log?: (line: string) => void,
  ) {}

  onPod(handler: PodHandler): void {
    this.handlers.push(handler);
  }

  /** Called after every event; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the first list is handled and the watch is being opened. */
  async start(): Promise<void> {
    let listed!: () => void;
    const firstList = new Promise<void>(resolve => (listed = resolve));
    this.following = this.follow(listed);
    await firstList;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.following;
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    if (type === 'DELETED') this.known.delete(name);
    else this.known.add(name);
    for (const handler of this.handlers) handler(type, pod);
    for (const listener of this.listeners) listener();
  }

  private async follow(listed: () => void): Promise<void> {
    const path = `/api/v1/namespaces/${this.namespace}/pods`;
    let first = true;
    while (!this.abort.signal.aborted) {
      try {
        const list = await this.client.requestJson<{ metadata: { resourceVersion: string }; items: V1Pod[] }>(
          'GET',
          path,
          { query: { labelSelector: this.labelSelector }, signal: this.abort.signal },
        );
        if (!first) this.relists++;
        const present = new Set(list.items.map(p => p.metadata?.name ?? ''));
        for (const name of [...this.known]) {
          if (!present.has(name)) this.emit('DELETED', { metadata: { name } });
        }
        for (const pod of list.items) this.emit('ADDED', pod);
        if (first) listed();
        first = false;
        await this.client.watch<V1Pod>(
          path,
          {
            resourceVersion: list.metadata.resourceVersion,
            labelSelector: this.labelSelector,
            allowWatchBookmarks: true,
          },
          event => {
            if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')
              this.emit(event.type, event.object);
          },
          this.abort.signal,
        );
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.log?.(`watch of ${this.labelSelector} ended (${errorMessage(err)}); listing again`);
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    }
    if (first) listed();
  }
}
