import { describe, expect, it } from 'vitest';

import { AgentPartError } from '../../../src/agent/virtual-kubelet.js';
import { describeFailure, oneLine } from '../../../src/cli/failure.js';
import type { ClusterAccess } from '../../../src/kube/kubeconfig/index.js';

const access = {
  server: 'https://10.0.0.1:6443',
  description: 'kubeconfig /etc/vk/kubeconfig (context "vk")',
} as ClusterAccess;

const coded = (message: string, code: string, extra: object = {}) =>
  Object.assign(new Error(message), { code, ...extra });

describe('describeFailure', () => {
  it('names the API server and the kubeconfig for a refused connection, whatever part saw it', () => {
    const err = new AgentPartError(
      'registering the node',
      coded('connect ECONNREFUSED 10.0.0.1:6443', 'ECONNREFUSED', { port: 6443 }),
    );
    expect(describeFailure(err, access)).toBe(
      'cannot reach the API server https://10.0.0.1:6443 (kubeconfig /etc/vk/kubeconfig (context "vk")): connect ECONNREFUSED 10.0.0.1:6443',
    );
  });

  it("a wrong CA: says so, without Node's advice about its own --use-system-ca flag", () => {
    const tls = coded(
      'unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
    const line = describeFailure(new TypeError('fetch failed', { cause: tls }), access);
    expect(line).toContain('cannot reach the API server https://10.0.0.1:6443');
    expect(line).toContain('unable to verify the first certificate');
    expect(line).toContain('certificate-authority');
    expect(line).not.toContain('use-system-ca');
  });

  it("does not blame the API server for a provider's own connections", () => {
    const err = coded('connect ECONNREFUSED 127.0.0.1:5000', 'ECONNREFUSED', { port: 5000 });
    expect(describeFailure(err, access)).toBe('connect ECONNREFUSED 127.0.0.1:5000');
  });

  it('puts a multi-line message on one line', () => {
    expect(oneLine('invalid config x.yaml:\n  ✖ Too small\n  → at pods\n')).toBe(
      'invalid config x.yaml: ✖ Too small; → at pods',
    );
  });
});
