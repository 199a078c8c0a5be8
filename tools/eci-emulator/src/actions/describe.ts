import { describeGroup, groupEventsEntry, groupStatusEntry } from '../groups/describe.js';
import type { ActionContext, Wire } from './context.js';
import { readGroupQuery, readLimit } from './filters.js';

/** DescribeContainerGroups: filters, `Limit` (default and maximum 20), `NextToken` paging, TotalCount. */
export function describeContainerGroups({ service, params }: ActionContext): Wire {
  const query = readGroupQuery(params, { withAttributes: true });
  const limit = readLimit(params, 20, 20);
  const withEvents = params.boolean('WithEvent') ?? true;
  const matching = service.store.list().filter(group => query.matches(group));
  const page = service.store.page(matching, limit, params.string('NextToken'), query.fingerprint);
  return {
    TotalCount: matching.length,
    NextToken: page.nextToken,
    ContainerGroups: page.items.map(group => describeGroup(group, service.regionId, withEvents)),
  };
}

/**
 * DescribeContainerGroupStatus: the Kubernetes-shaped status of many groups at once (`Limit` default
 * 200), optionally only those whose status changed in the last `SinceSecond` seconds.
 */
export function describeContainerGroupStatus({ service, params }: ActionContext): Wire {
  const query = readGroupQuery(params, { withAttributes: false });
  const limit = readLimit(params, 200, 200);
  const sinceSecond = params.integer('SinceSecond', { min: 0 });
  const since = sinceSecond === undefined ? undefined : Date.now() - sinceSecond * 1000;
  const matching = service.store
    .list()
    .filter(
      group => query.matches(group) && (since === undefined || group.statusChangedAt.getTime() >= since),
    );
  const page = service.store.page(
    matching,
    limit,
    params.string('NextToken'),
    `status:${query.fingerprint}:${sinceSecond ?? ''}`,
  );
  return { TotalCount: matching.length, NextToken: page.nextToken, Data: page.items.map(groupStatusEntry) };
}

/** DescribeContainerGroupEvents: the latest 50 events of each group (`Limit` groups, default 200). */
export function describeContainerGroupEvents({ service, params }: ActionContext): Wire {
  const query = readGroupQuery(params, { withAttributes: false });
  const limit = readLimit(params, 200, 200);
  const sinceSecond = params.integer('SinceSecond', { min: 0 });
  params.enumeration('EventSource', ['EciService', 'K8sAgent'] as const);
  const since = sinceSecond === undefined ? 0 : Date.now() - sinceSecond * 1000;
  const matching = service.store.list().filter(group => query.matches(group));
  const data = matching.slice(0, limit).map(group => {
    const entry = groupEventsEntry(group);
    const events = (entry['Events'] as Wire[]).filter(
      event => Date.parse(event['LastTimestamp'] as string) >= Math.floor(since / 1000) * 1000,
    );
    return { ...entry, Events: events };
  });
  return { TotalCount: matching.length, Data: data };
}
