import type { IncomingHttpHeaders } from 'node:http';

/** An ARM request after authentication: the parts handlers read. */
export interface ArmCall {
  method: string;
  url: URL;
  params: Record<string, string>;
  /** The JSON body, `undefined` when there was none. */
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** What a handler answers; `model` names the definition model of the body, for faithfulness checks. */
export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  model?: string;
}

export interface Route {
  methods: Record<string, (call: ArmCall) => ArmReply | Promise<ArmReply>>;
  pattern: RegExp;
  /** Definition model of the request body, per method (PUT ContainerGroup, PATCH Resource, ...). */
  requestModels?: Record<string, string>;
  /** api-versions this route serves; the ContainerInstance ones by default. */
  apiVersions?: readonly string[] | 'any';
}

/** The route for a path, with its named groups, or `undefined`. ARM paths are case-insensitive. */
export function matchRoute(
  routes: readonly Route[],
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match) {
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = decodeURIComponent(value);
      return { route, params };
    }
  }
  return undefined;
}
