import type { Reply, RequestContext } from './context.js';

export interface Route {
  methods: readonly string[];
  /** `/v1/job/:id/allocations`; a `:name` segment matches one path segment (URL-decoded). */
  path: string;
  /** Returns the JSON answer, or undefined when it answered itself (streams). */
  handler(ctx: RequestContext): Promise<Reply | undefined>;
  /**
   * Who answers: `server` (default) needs a leader and the request's region; `client` (a node's
   * endpoints) needs the region only; `agent` is answered by the agent itself.
   */
  scope?: 'server' | 'client' | 'agent';
  /** Needs no token even with ACLs on (an unknown token is still refused). */
  anonymous?: boolean;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map(route => {
      const names: string[] = [];
      const source = route.path.replace(/:(\w+)/g, (_whole, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { route, pattern: new RegExp(`^${source}$`), names };
    });
  }

  /** The route for a path; `methodAllowed` is false when the path exists with other methods only. */
  match(method: string, rawPath: string): { match?: RouteMatch; pathKnown: boolean } {
    let pathKnown = false;
    for (const { route, pattern, names } of this.routes) {
      const found = pattern.exec(rawPath);
      if (!found) continue;
      pathKnown = true;
      if (!route.methods.includes(method)) continue;
      const params = Object.fromEntries(
        names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)]),
      );
      return { match: { route, params }, pathKnown };
    }
    return { pathKnown };
  }
}
