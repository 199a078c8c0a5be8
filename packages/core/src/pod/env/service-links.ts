import type { V1Service } from '@kubernetes/client-node';

/** Services whose variables every pod gets, whatever `enableServiceLinks` says (kubelet masterServices). */
const MASTER_SERVICES = new Set(['kubernetes']);

function envName(serviceName: string): string {
  return serviceName.toUpperCase().replaceAll('-', '_');
}

function hasClusterIP(service: V1Service): boolean {
  const ip = service.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Variables per cached Service object: every pod of a namespace gets the same ones, and a node with
 * 10,000 pods would otherwise hold 10,000 copies of each name and value string.
 */
const variablesByService = new WeakMap<V1Service, readonly [string, string][]>();

function variablesOf(service: V1Service): readonly [string, string][] {
  let vars = variablesByService.get(service);
  if (!vars) {
    vars = computeVariables(service);
    variablesByService.set(service, vars);
  }
  return vars;
}

/** The docker-link style variables of one service, in the kubelet's order. */
function computeVariables(service: V1Service): [string, string][] {
  const prefix = envName(service.metadata?.name ?? '');
  const ip = service.spec?.clusterIP ?? '';
  const ports = service.spec?.ports ?? [];
  const first = ports[0];
  if (!first) return [];
  const vars: [string, string][] = [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(first.port)],
  ];
  for (const port of ports) {
    if (port.name) vars.push([`${prefix}_SERVICE_PORT_${envName(port.name)}`, String(port.port)]);
  }
  ports.forEach((port, index) => {
    const protocol = port.protocol ?? 'TCP';
    const url = `${protocol.toLowerCase()}://${joinHostPort(ip, port.port)}`;
    if (index === 0) vars.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
    vars.push(
      [portPrefix, url],
      [`${portPrefix}_PROTO`, protocol.toLowerCase()],
      [`${portPrefix}_PORT`, String(port.port)],
      [`${portPrefix}_ADDR`, ip],
    );
  });
  return vars;
}

/**
 * Service-link variables for a pod in `namespace`: the `kubernetes` service of `default` always,
 * the namespace's own services when `enableServiceLinks`; services without a cluster IP are skipped.
 * Services are taken in name order so the result does not depend on cache order.
 */
export function serviceLinkVariables(
  namespace: string,
  enableServiceLinks: boolean,
  defaultServices: readonly V1Service[],
  namespaceServices: readonly V1Service[],
): Map<string, string> {
  const chosen = new Map<string, V1Service>();
  for (const service of defaultServices) {
    const name = service.metadata?.name ?? '';
    if (service.metadata?.namespace === 'default' && MASTER_SERVICES.has(name) && hasClusterIP(service)) {
      chosen.set(name, service);
    }
  }
  if (enableServiceLinks) {
    for (const service of namespaceServices) {
      const name = service.metadata?.name ?? '';
      if (service.metadata?.namespace !== namespace || !hasClusterIP(service)) continue;
      // kubelet: the master service of `default` wins over a same-named service elsewhere.
      if (chosen.has(name) && namespace !== 'default') continue;
      chosen.set(name, service);
    }
  }
  const vars = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) {
    const service = chosen.get(name);
    if (service) for (const [key, value] of variablesOf(service)) vars.set(key, value);
  }
  return vars;
}
