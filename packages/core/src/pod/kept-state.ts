import type { V1Pod } from '@kubernetes/client-node';
import { copyApiObject, jsonEqualAtSeconds } from '@vkubelet/provider-kit';

import { statusPatch } from './status.js';

/**
 * What the controller keeps of a pod it handed to the provider: everything but the status, which is
 * tracked from the provider's reports. A node with 10,000 pods keeps 10,000 of these.
 */
export function withoutStatus(pod: V1Pod): V1Pod {
  const { status: _status, ...rest } = pod;
  return rest;
}

/** What the controller keeps of a provider report: identity, provider-side deletion and the status. */
export function reportedStatus(reported: V1Pod): V1Pod {
  const metadata = reported.metadata;
  return {
    metadata: {
      uid: metadata?.uid,
      deletionTimestamp: metadata?.deletionTimestamp,
      deletionGracePeriodSeconds: metadata?.deletionGracePeriodSeconds,
    },
    status: copyApiObject(reported.status),
  };
}

/**
 * True when a new report says nothing the kept one does not: writing it over the kept status would
 * change nothing (the kept one may be the API server's, with fields the provider never reports), and
 * the same provider-side deletion. A polled provider reports every pod every round, and almost all
 * of those reports are unchanged.
 */
export function sameReport(kept: V1Pod, reported: V1Pod): boolean {
  const a = kept.metadata;
  const b = reported.metadata;
  return (
    jsonEqualAtSeconds(a?.deletionTimestamp, b?.deletionTimestamp) &&
    a?.deletionGracePeriodSeconds === b?.deletionGracePeriodSeconds &&
    statusPatch(kept.status, reported.status ?? {}) === undefined
  );
}
