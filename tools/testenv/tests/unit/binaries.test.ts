import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryPath, cacheRoot, MissingBinaryError, pinnedKubernetesVersion } from '../../src/binaries.js';

describe('binary lookup', () => {
  it('reads the Kubernetes version from the wrapper go.mod, in block or single-line form', () => {
    expect(
      pinnedKubernetesVersion(
        'module x\n\nrequire (\n\tgo.etcd.io/etcd/server/v3 v3.6.8\n\tk8s.io/kubernetes v1.36.3\n)\n',
      ),
    ).toBe('v1.36.3');
    expect(pinnedKubernetesVersion('module x\nrequire k8s.io/kubernetes v1.35.0\n')).toBe('v1.35.0');
    expect(() =>
      pinnedKubernetesVersion('module x\n\tk8s.io/kubernetes => k8s.io/kubernetes v1.1.1\n'),
    ).toThrow(/no "k8s.io\/kubernetes/);
    expect(pinnedKubernetesVersion()).toMatch(/^v1\.\d+\.\d+/);
  });

  it('puts the cache where build.sh does', () => {
    expect(cacheRoot({ VKUBELET_CACHE: '/c' })).toBe('/c');
    expect(cacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/vkubelet');
  });

  it('names the missing binary and the build script', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vkubelet-nobin-'));
    try {
      expect(() => binaryPath('kube-apiserver', empty)).toThrow(MissingBinaryError);
      expect(() => binaryPath('kube-apiserver', empty)).toThrow(
        /kube-apiserver not found .*bash .*tools\/testenv\/k8s\/build\.sh/,
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});
