import type { EciClient } from './eci-client.js';
import type {
  DescribeContainerGroupStatusResponse,
  DescribeContainerGroupsResponse,
  EciContainerGroup,
  EciTag,
} from './wire.js';

/** DescribeContainerGroups: at most 20 IDs per request, and 20 groups per page. */
export const DESCRIBE_BATCH = 20;
/** DescribeContainerGroupStatus: at most 200 groups per page. */
export const STATUS_PAGE = 200;
/** Describe requests in flight at once for one batch read. */
const DESCRIBE_CONCURRENCY = 4;

/** A group's entry in DescribeContainerGroupStatus: its status, and the whole entry as a fingerprint. */
export interface GroupSummary {
  status: string;
  fingerprint: string;
}

/**
 * The reads of container groups, all by ID or by tag, never of the whole region: DescribeContainerGroups
 * with `ContainerGroupIds` (20 a request) or `Tag.N` filters, and DescribeContainerGroupStatus by tag
 * (200 a request), each followed through `NextToken`.
 */
export class ContainerGroups {
  constructor(private readonly client: EciClient) {}

  /** The groups with these IDs; an ID ECI does not know is left out (the group is gone). */
  async describe(ids: readonly string[], signal: AbortSignal): Promise<Map<string, EciContainerGroup>> {
    const batches: string[][] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += DESCRIBE_BATCH) batches.push(unique.slice(i, i + DESCRIBE_BATCH));
    const found = new Map<string, EciContainerGroup>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const groups = await this.pages({ ContainerGroupIds: JSON.stringify(batch) }, signal);
        for (const group of groups) found.set(group.ContainerGroupId, group);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, batches.length) }, worker));
    return found;
  }

  /** Every group carrying all of these tags. */
  tagged(tags: readonly EciTag[], signal: AbortSignal): Promise<EciContainerGroup[]> {
    return this.pages({ Tag: tags }, signal);
  }

  /** The summaries of every group carrying these tags, by ID (DescribeContainerGroupStatus). */
  async summaries(tags: readonly EciTag[], signal: AbortSignal): Promise<Map<string, GroupSummary>> {
    const summaries = new Map<string, GroupSummary>();
    let token: string | undefined;
    do {
      const page = await this.client.request<DescribeContainerGroupStatusResponse>(
        'DescribeContainerGroupStatus',
        { Tag: tags, Limit: STATUS_PAGE, NextToken: token },
        { signal, idempotent: true },
      );
      for (const entry of page.Data ?? []) {
        summaries.set(entry.ContainerGroupId, {
          status: entry.Status ?? '',
          fingerprint: JSON.stringify(entry),
        });
      }
      token = nextToken(token, page.NextToken);
    } while (token);
    return summaries;
  }

  /** DescribeContainerGroups with `filter`, page after page. */
  private async pages(
    filter: { ContainerGroupIds?: string; Tag?: readonly EciTag[] },
    signal: AbortSignal,
  ): Promise<EciContainerGroup[]> {
    const groups: EciContainerGroup[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.request<DescribeContainerGroupsResponse>(
        'DescribeContainerGroups',
        { ...filter, Limit: DESCRIBE_BATCH, NextToken: token },
        { signal, idempotent: true },
      );
      groups.push(...(page.ContainerGroups ?? []));
      token = nextToken(token, page.NextToken);
    } while (token);
    return groups;
  }
}

/** The token of the next page; none when the answer has none or repeats the last (no endless loop). */
function nextToken(previous: string | undefined, next: string | undefined): string | undefined {
  return next && next !== previous ? next : undefined;
}
