import type { ProviderEntry } from './entry.js';

/** The mock needs no backend: it simulates containers inside virtual-kubelet. */
export const mock: ProviderEntry = {
  name: 'mock',
  runsOn: 'simulated containers inside virtual-kubelet (a tiny shell, deterministic stats)',
  tryIt: [
    "kubectl run demo --image=busybox --annotations=mock.vkubelet.io/cpu-usage=250m -- sh -c 'echo hello; sleep 3600'",
    'kubectl wait --for=condition=Ready pod/demo && kubectl logs demo && kubectl exec demo -- echo hi',
    'kubectl top pod demo',
  ],
  notes: [
    'any image name works; containers run a small built-in shell (echo, sleep, exit, env, cat, yes), so kubectl cp fails with "tar: not found"',
    'the mock.vkubelet.io/cpu-usage and memory-usage annotations set what kubectl top shows',
  ],
};
