import type { IntOrString, V1Container, V1Probe } from '@kubernetes/client-node';

import type { ParamTree } from '../client/params.js';
import { refuse, refuseIf } from './refuse.js';

/** A probe's port: a number, or the name of one of the container's ports. */
function probePort(port: IntOrString, container: V1Container, field: string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find(candidate => candidate.name === port);
  if (!named) refuse(field, `no port of the container is named ${port}`);
  return named.containerPort;
}

/**
 * A liveness or readiness probe as ECI runs it: exec, httpGet (path, port, scheme) or tcpSocket,
 * with its timings. Request headers, another host, gRPC probes and success thresholds above 1 have
 * no ECI counterpart.
 */
export function mapProbe(
  probe: V1Probe | undefined,
  container: V1Container,
  field: string,
): ParamTree | undefined {
  if (!probe) return undefined;
  refuseIf(probe.grpc, `${field}.grpc`, 'ECI runs exec, httpGet and tcpSocket probes');
  refuseIf(
    probe.terminationGracePeriodSeconds !== undefined,
    `${field}.terminationGracePeriodSeconds`,
    'ECI has no per-probe grace period',
  );
  refuseIf(
    (probe.successThreshold ?? 1) > 1,
    `${field}.successThreshold`,
    'ECI takes a success threshold of 1',
  );
  const { exec, httpGet, tcpSocket } = probe;
  refuseIf(httpGet?.host, `${field}.httpGet.host`, 'ECI probes the container itself');
  refuseIf(httpGet?.httpHeaders?.length, `${field}.httpGet.httpHeaders`, 'ECI sends no request headers');
  refuseIf(tcpSocket?.host, `${field}.tcpSocket.host`, 'ECI probes the container itself');
  return {
    Exec: exec ? { Command: exec.command ?? [] } : undefined,
    HttpGet: httpGet
      ? {
          Path: httpGet.path,
          Port: probePort(httpGet.port, container, `${field}.httpGet.port`),
          Scheme: httpGet.scheme,
        }
      : undefined,
    TcpSocket: tcpSocket
      ? { Port: probePort(tcpSocket.port, container, `${field}.tcpSocket.port`) }
      : undefined,
    InitialDelaySeconds: probe.initialDelaySeconds,
    PeriodSeconds: probe.periodSeconds,
    TimeoutSeconds: probe.timeoutSeconds,
    SuccessThreshold: probe.successThreshold,
    FailureThreshold: probe.failureThreshold,
  };
}
