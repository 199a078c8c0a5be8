import type { V1ObjectFieldSelector, V1Pod, V1PodStatus } from '@kubernetes/client-node';

import { isQualifiedName } from '../../util/names.js';
import { EnvResolutionError } from './errors.js';

/** What a fieldRef may read besides the pod spec: IPs that only exist once the pod runs somewhere. */
export interface RuntimeFields {
  /** The pod's status as last reported (the provider's, else the API's); source of podIP(s). */
  status?: V1PodStatus;
  /** The node's addresses, used for status.hostIP(s) when the provider does not report a hostIP. */
  hostIPs?: readonly string[];
}

const SUBSCRIPTED = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** `k="v"` lines sorted by key, as the kubelet's fieldpath.FormatMap writes labels/annotations. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map(key => `${key}=${JSON.stringify(map?.[key] ?? '')}`)
    .join('\n');
}

function podIPs(runtime: RuntimeFields, path: string): string[] {
  const status = runtime.status;
  const ips = status?.podIPs?.map(entry => entry.ip).filter(ip => ip !== '') ?? [];
  if (ips.length === 0 && status?.podIP) ips.push(status.podIP);
  if (ips.length === 0) {
    throw new EnvResolutionError(
      'not-ready',
      `${path} is not known yet: the provider has not reported a pod IP`,
    );
  }
  return ips;
}

function hostIPs(runtime: RuntimeFields, path: string): string[] {
  const status = runtime.status;
  const ips = status?.hostIPs?.map(entry => entry.ip).filter(ip => ip !== '') ?? [];
  if (ips.length === 0 && status?.hostIP) ips.push(status.hostIP);
  if (ips.length === 0) ips.push(...(runtime.hostIPs ?? []));
  if (ips.length === 0) {
    throw new EnvResolutionError('not-ready', `${path} is not known yet: no host IP was reported`);
  }
  return ips;
}

/**
 * The value of a downward-API fieldRef. Supports every path the API server accepts for env
 * (upstream virtual-kubelet fails on the status.* ones, issue #1011) and the volume-only ones.
 */
export function resolveFieldRef(selector: V1ObjectFieldSelector, pod: V1Pod, runtime: RuntimeFields): string {
  const apiVersion = selector.apiVersion ?? 'v1';
  if (apiVersion !== 'v1' && apiVersion !== '') {
    throw new EnvResolutionError('invalid', `unsupported fieldRef apiVersion "${apiVersion}"`);
  }
  const path = selector.fieldPath;
  const subscripted = SUBSCRIPTED.exec(path);
  if (subscripted) {
    const [, field = '', key = ''] = subscripted;
    if (!isQualifiedName(key)) {
      throw new EnvResolutionError('invalid', `invalid key "${key}" in fieldPath "${path}"`);
    }
    const map = field === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[key] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
    case 'spec.host':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'spec.restartPolicy':
      return pod.spec?.restartPolicy ?? 'Always';
    case 'spec.schedulerName':
      return pod.spec?.schedulerName ?? 'default-scheduler';
    case 'status.phase':
      return pod.status?.phase ?? 'Pending';
    case 'status.podIP':
      return podIPs(runtime, path)[0] ?? '';
    case 'status.podIPs':
      return podIPs(runtime, path).join(',');
    case 'status.hostIP':
      return hostIPs(runtime, path)[0] ?? '';
    case 'status.hostIPs':
      return hostIPs(runtime, path).join(',');
    default:
      throw new EnvResolutionError('invalid', `unsupported fieldPath "${path}"`);
  }
}
