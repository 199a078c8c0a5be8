import { describe, expect, it } from 'vitest';

import { requestLabels } from '../../../src/kube/request-labels.js';

describe('requestLabels', () => {
  it.each([
    ['GET', '/api/v1/namespaces/ns/pods/p', '', 'get', 'pods'],
    ['GET', '/api/v1/pods', '', 'list', 'pods'],
    ['GET', '/api/v1/pods', 'watch=true', 'watch', 'pods'],
    ['PATCH', '/api/v1/namespaces/ns/pods/p/status', '', 'patch', 'pods/status'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n', '', 'update', 'leases'],
    ['POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', '', 'create', 'subjectaccessreviews'],
    ['DELETE', '/api/v1/namespaces/ns/pods/p', '', 'delete', 'pods'],
    ['GET', '/api/v1/namespaces/ns', '', 'get', 'namespaces'],
    ['GET', '/api/v1/nodes/n', '', 'get', 'nodes'],
    ['GET', '/version', '', 'get', '/version'],
  ])('%s %s?%s → %s %s', (method, path, query, verb, resource) => {
    expect(requestLabels(method, path, new URLSearchParams(query))).toEqual({ verb, resource });
  });
});
