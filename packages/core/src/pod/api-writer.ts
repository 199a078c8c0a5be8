import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';

import { podKey, splitPodKey } from './compare.js';
import { statusPatch } from './status.js';
import type { PodApi } from './types.js';
import { httpCode } from './util.js';

function podPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
}

/** The controller's writes to the API server: status patches and deletes, both pinned to a UID. */
export class PodApiWriter {
  /** A digest of the status patch last sent per key (a pod's patch is ~1 KB), with its resourceVersion. */
  private readonly lastPatch = new Map<string, { resourceVersion: string; digest: string }>();

  constructor(private readonly client: PodApi) {}

  /**
   * Patches pods/status towards `desired` when it differs from what the API server holds; false when
   * the API server already holds it (nothing sent). With `pinned`, only if the pod is still at the
   * version `pod` shows (else 409): for a status decided from that version, such as a failure of a
   * pod that had not started, which a stale view would write over a status the provider has reported
   * since (the soak saw a Succeeded pod get ProviderFailed).
   */
  async writeStatus(pod: V1Pod, desired: V1PodStatus, signal: AbortSignal, pinned = false): Promise<boolean> {
    const patch = statusPatch(pod.status, desired);
    if (!patch) return false;
    const key = podKey(pod);
    const resourceVersion = pod.metadata?.resourceVersion ?? '';
    const digest = createHash('sha256').update(JSON.stringify(patch)).digest('base64');
    const last = this.lastPatch.get(key);
    // The informer may not show our last write yet; the same patch on the same version is a no-op.
    if (last && last.resourceVersion === resourceVersion && last.digest === digest) return true;
    await this.patchStatus(pod, patch, signal, pinned ? resourceVersion : undefined);
    this.lastPatch.set(key, { resourceVersion, digest });
    return true;
  }

  /**
   * A strategic-merge patch of pods/status; a pod already gone is not an error. A `resourceVersion`
   * makes it conditional (409 when the pod has changed since).
   */
  async patchStatus(
    pod: V1Pod,
    status: object,
    signal: AbortSignal,
    resourceVersion?: string,
  ): Promise<void> {
    const { namespace = '', name = '', uid } = pod.metadata ?? {};
    try {
      // The status subresource only: labels and annotations are never touched (upstream PR #976),
      // and the UID in the patch makes the API server reject it for a re-created pod of that name.
      await this.client.write('PATCH', `${podPath(namespace, name)}/status`, {
        body: { metadata: resourceVersion ? { uid, resourceVersion } : { uid }, status },
        patchType: 'strategic',
        signal,
      });
    } catch (err) {
      if (httpCode(err) === 404) return;
      throw err;
    }
  }

  /** DELETE with a UID precondition, so a re-created pod is never hit; gone or replaced = done. */
  async delete(key: string, uid: string, gracePeriodSeconds: number, signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitPodKey(key);
    try {
      await this.client.write('DELETE', podPath(namespace, name), {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds, preconditions: { uid } },
        signal,
      });
    } catch (err) {
      const code = httpCode(err);
      if (code !== 404 && code !== 409) throw err;
    }
  }

  forget(key: string): void {
    this.lastPatch.delete(key);
  }
}
