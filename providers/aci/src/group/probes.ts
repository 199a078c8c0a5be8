import type { ContainerProbe } from '@azure/arm-containerinstance';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

import { refuse } from './refuse.js';

/** A port of a probe: a number, or the name of one of the container's ports. */
function probePort(port: number | string, container: V1Container, field: string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find(p => p.name === port);
  if (!named) refuse(field, `the container has no port named "${port}"`);
  return named.containerPort;
}

/**
 * A liveness or readiness probe as ACI runs it: exec or httpGet (named ports resolved), with the
 * same timings. ACI probes the container itself, so a probe naming another host cannot be carried,
 * nor can tcpSocket and gRPC probes.
 */
export function containerProbe(
  probe: V1Probe | undefined,
  container: V1Container,
  field: string,
): ContainerProbe | undefined {
  if (!probe) return undefined;
  if (probe.tcpSocket) refuse(`${field}.tcpSocket`, 'ACI probes with exec or httpGet only');
  if (probe.grpc) refuse(`${field}.grpc`, 'ACI probes with exec or httpGet only');
  const timings = {
    ...(probe.initialDelaySeconds !== undefined ? { initialDelaySeconds: probe.initialDelaySeconds } : {}),
    ...(probe.periodSeconds !== undefined ? { periodSeconds: probe.periodSeconds } : {}),
    ...(probe.failureThreshold !== undefined ? { failureThreshold: probe.failureThreshold } : {}),
    ...(probe.successThreshold !== undefined ? { successThreshold: probe.successThreshold } : {}),
    ...(probe.timeoutSeconds !== undefined ? { timeoutSeconds: probe.timeoutSeconds } : {}),
  };
  if (probe.exec) return { exec: { command: probe.exec.command ?? [] }, ...timings };
  const http = probe.httpGet;
  if (!http) refuse(field, 'a probe needs exec or httpGet');
  if (http.host) refuse(`${field}.httpGet.host`, 'ACI probes the container itself');
  const scheme = (http.scheme ?? 'HTTP').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https')
    refuse(`${field}.httpGet.scheme`, `unknown scheme ${http.scheme}`);
  return {
    httpGet: {
      port: probePort(http.port, container, `${field}.httpGet.port`),
      ...(http.path ? { path: http.path } : {}),
      scheme,
      ...(http.httpHeaders?.length
        ? { httpHeaders: http.httpHeaders.map(header => ({ name: header.name, value: header.value })) }
        : {}),
    },
    ...timings,
  };
}
