import type { ContainerLogOptions } from '@vkubelet/provider-kit';

import { badRequest } from '../errors.js';
import { parseBoolParam, parseIntParam, parseTimeParam } from '../query.js';

/**
 * The container log options of a `/containerLogs` query, validated as the kubelet does (upstream
 * node/api/logs.go): tailLines >= 0, limitBytes >= 1, sinceSeconds >= 1, sinceTime RFC 3339 and not
 * together with sinceSeconds. Any bad value is a 400.
 */
export function parseContainerLogOptions(query: URLSearchParams): ContainerLogOptions {
  const options: ContainerLogOptions = {
    follow: parseBoolParam(query, 'follow'),
    previous: parseBoolParam(query, 'previous'),
    timestamps: parseBoolParam(query, 'timestamps'),
  };
  const tailLines = parseIntParam(query, 'tailLines', 0);
  const limitBytes = parseIntParam(query, 'limitBytes', 1);
  const sinceSeconds = parseIntParam(query, 'sinceSeconds', 1);
  const sinceTime = parseTimeParam(query, 'sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
  }
  if (tailLines !== undefined) options.tailLines = tailLines;
  if (limitBytes !== undefined) options.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) options.sinceSeconds = sinceSeconds;
  if (sinceTime !== undefined) options.sinceTime = sinceTime;
  return options;
}
