/** Metric labels of an API request, derived from its method and path like client-go's request metrics. */
export interface RequestLabels {
  verb: string;
  resource: string;
}

/**
 * `/api/v1/namespaces/ns/pods/name/status` → `{ verb: 'patch', resource: 'pods/status' }`.
 * Unknown shapes (discovery, /version) get their path as resource so nothing is lost.
 */
export function requestLabels(method: string, path: string, query?: URLSearchParams): RequestLabels {
  const segments = path.split('?')[0]!.split('/').filter(Boolean);
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) rest = segments.slice(2);
  else if (segments[0] === 'apis' && segments.length >= 3) rest = segments.slice(3);
  else return { verb: method.toLowerCase(), resource: path.split('?')[0]! };
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  return {
    verb: verbOf(method.toUpperCase(), name !== undefined, query?.get('watch') === 'true'),
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
  };
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
