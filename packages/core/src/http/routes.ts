import FindMyWay, { type HTTPVersion } from 'find-my-way';

/** The kubelet API paths this server answers (upstream node/api/server.go, §H 50–57). */
export type RouteName =
  | 'containerLogs'
  | 'exec'
  | 'attach'
  | 'portForward'
  | 'pods'
  | 'runningPods'
  | 'statsSummary'
  | 'metricsResource'
  | 'healthz';

export interface RouteMatch {
  name: RouteName;
  params: Record<string, string>;
}

export type RouteLookup = RouteMatch | { name?: undefined; statusCode: 404 | 405 };

const ROUTES: ReadonlyArray<[RouteName, string, readonly ('GET' | 'POST')[]]> = [
  ['containerLogs', '/containerLogs/:namespace/:pod/:container', ['GET']],
  ['exec', '/exec/:namespace/:pod/:container', ['GET', 'POST']],
  ['attach', '/attach/:namespace/:pod/:container', ['GET', 'POST']],
  ['portForward', '/portForward/:namespace/:pod', ['GET', 'POST']],
  ['pods', '/pods', ['GET']],
  ['runningPods', '/runningpods/', ['GET']],
  ['statsSummary', '/stats/summary', ['GET']],
  ['metricsResource', '/metrics/resource', ['GET']],
  ['healthz', '/healthz', ['GET']],
];

/**
 * A pod name is a DNS subdomain of up to 253 characters, and a client may percent-encode every one
 * of them. find-my-way's default of 100 turned valid long names into 404s; the handlers check the
 * decoded names themselves (400 for anything that is not a valid name).
 */
const MAX_PARAM_LENGTH = 3 * 253;

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/**
 * Path routing only (handlers live in the server). A trailing slash is optional on every route, as
 * gorilla/mux's StrictSlash makes it in upstream (which redirects; we answer directly). A known
 * path with another method is 405, anything else 404.
 */
export class KubeletRoutes {
  private readonly router = FindMyWay<HTTPVersion.V1>({
    ignoreTrailingSlash: true,
    caseSensitive: true,
    maxParamLength: MAX_PARAM_LENGTH,
  });

  constructor() {
    for (const [name, path, methods] of ROUTES) {
      for (const method of methods) {
        this.router.on(method, path, () => undefined, { name });
      }
    }
  }

  lookup(method: string, path: string): RouteLookup {
    const found = this.router.find(method.toUpperCase() as 'GET', path);
    if (found) {
      const store = found.store as { name: RouteName };
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(found.params)) {
        if (value !== undefined) params[key] = value;
      }
      return { name: store.name, params };
    }
    const otherMethod = ALL_METHODS.some(m => m !== method && this.router.find(m, path) !== null);
    return { statusCode: otherMethod ? 405 : 404 };
  }
}
