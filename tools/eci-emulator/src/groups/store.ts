import { randomBytes, randomUUID } from 'node:crypto';

import { apiErrors } from '../rpc/errors.js';
import { ContainerGroup } from './group.js';
import type { GroupSpec } from './spec.js';
import type { EciTiming } from './timing.js';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MAX_PAGE_TOKENS = 10_000;

/** `eci-` and 20 lowercase letters and digits, like ECI's instance IDs. */
function newGroupId(): string {
  const bytes = randomBytes(20);
  return `eci-${[...bytes].map(byte => ID_ALPHABET[byte % ID_ALPHABET.length]).join('')}`;
}

export interface Page<T> {
  items: T[];
  nextToken: string;
}

/** The region's container groups, in creation order, with paging tokens and IP allocation. */
export class GroupStore {
  private readonly groups = new Map<string, ContainerGroup>();
  private readonly pageTokens = new Map<string, { afterSeq: number; query: string }>();
  private seq = 0;
  private ipCounter = 0;

  constructor(private readonly timing: () => EciTiming) {}

  create(spec: GroupSpec, scheduleFailure: string | undefined): ContainerGroup {
    const group = new ContainerGroup({
      id: newGroupId(),
      uuid: randomUUID(),
      seq: ++this.seq,
      spec,
      timing: this.timing,
      allocateIp: () => this.allocateIp(),
      ...(scheduleFailure !== undefined ? { scheduleFailure } : {}),
    });
    this.groups.set(group.id, group);
    group.start();
    return group;
  }

  get(id: string): ContainerGroup | undefined {
    return this.groups.get(id);
  }

  require(id: string): ContainerGroup {
    const group = this.groups.get(id);
    if (!group) throw apiErrors.groupNotFound(id);
    return group;
  }

  delete(id: string): boolean {
    const group = this.groups.get(id);
    if (!group) return false;
    group.delete();
    this.groups.delete(id);
    return true;
  }

  /** Every group, newest first. */
  list(): ContainerGroup[] {
    return [...this.groups.values()].reverse();
  }

  /**
   * One page of `matching` (newest first). The token remembers where the page ended by creation
   * order, so groups created or deleted between pages never shift the rest; it is bound to `query`.
   */
  page(
    matching: ContainerGroup[],
    limit: number,
    nextToken: string | undefined,
    query: string,
  ): Page<ContainerGroup> {
    let afterSeq = Number.POSITIVE_INFINITY;
    if (nextToken) {
      const cursor = this.pageTokens.get(nextToken);
      if (!cursor || cursor.query !== query) throw apiErrors.invalidParameter('NextToken');
      afterSeq = cursor.afterSeq;
    }
    const rest = matching.filter(group => group.seq < afterSeq);
    const items = rest.slice(0, limit);
    if (rest.length <= limit) return { items, nextToken: '' };
    const token = randomUUID();
    if (this.pageTokens.size >= MAX_PAGE_TOKENS) this.pageTokens.delete(this.pageTokens.keys().next().value!);
    this.pageTokens.set(token, { afterSeq: items.at(-1)!.seq, query });
    return { items, nextToken: token };
  }

  /** Stops every group (the emulator stops). */
  close(): void {
    for (const group of this.groups.values()) group.delete();
    this.groups.clear();
  }

  private allocateIp(): string {
    const n = 2 + this.ipCounter++;
    return `192.168.${(n >>> 8) & 255}.${n & 255}`;
  }
}
