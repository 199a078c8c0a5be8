import { startContainerd, TEST_IMAGES } from '@vkubelet/containerd';

import type { ProviderEntry } from './entry.js';

/** A private containerd (own socket, root, CNI bridge) with locally built images; needs root. */
export const cri: ProviderEntry = {
  name: 'cri',
  runsOn: 'real containers in a private containerd (runc, CNI bridge), images built locally',
  async startBackend(context) {
    context.progress('starting a private containerd and importing the local images');
    const containerd = await startContainerd();
    return {
      providerConfig: {
        runtimeEndpoint: containerd.endpoint,
        podRoot: containerd.podRoot,
        cgroupParent: containerd.cgroupParent,
      },
      stop: () => containerd.stop(),
    };
  },
  tryIt: [
    `kubectl run demo --image=${TEST_IMAGES.busybox} -- sh -c 'echo hello; sleep 3600'`,
    'kubectl wait --for=condition=Ready pod/demo && kubectl logs demo && kubectl exec demo -- cat /etc/passwd',
    'kubectl top pod demo',
  ],
  notes: [
    `images that work: ${TEST_IMAGES.busybox} (busybox, default command sh); nothing is pulled from a registry`,
  ],
};
