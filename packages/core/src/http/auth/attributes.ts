import type { RequestAttributes } from './types.js';

const VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** `path` is `prefix` or below it (`/stats` matches `/stats` and `/stats/summary`, not `/statsx`). */
function isSubpath(path: string, prefix: string): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || (path.startsWith(base) && path[base.length] === '/');
}

/**
 * The attributes the kubelet authorizes a request with (pkg/kubelet/server/auth.go, with
 * KubeletFineGrainedAuthz, GA since 1.33): `nodes/<subresource>` named after the node, verb from the
 * HTTP method. /pods, /runningpods and /healthz first try their own fine-grained subresource and fall
 * back to `proxy`; /stats, /metrics and /logs map to stats, metrics and log; everything else
 * (exec, attach, portForward, containerLogs) is `proxy`. The request is allowed if any is allowed.
 */
export function requestAttributes(nodeName: string, method: string, path: string): RequestAttributes[] {
  const subresources: string[] = [];
  if (isSubpath(path, '/pods') || isSubpath(path, '/runningpods')) subresources.push('pods');
  else if (isSubpath(path, '/healthz')) subresources.push('healthz');
  else if (isSubpath(path, '/configz')) subresources.push('configz');

  if (isSubpath(path, '/stats')) subresources.push('stats');
  else if (isSubpath(path, '/metrics')) subresources.push('metrics');
  else if (isSubpath(path, '/logs')) subresources.push('log');
  else if (isSubpath(path, '/checkpoint')) subresources.push('checkpoint');
  else subresources.push('proxy');

  const verb = VERBS[method.toUpperCase()] ?? '';
  return subresources.map(subresource => ({
    verb,
    resource: 'nodes',
    subresource,
    name: nodeName,
    apiVersion: 'v1',
    path,
  }));
}
