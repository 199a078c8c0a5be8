import { readFileSync } from 'node:fs';

/** Version of @vkubelet/core, read once from its package.json (same relative place in src and dist). */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Kubernetes API version vkubelet is built and tested against (the control plane in tools/testenv). */
export const KUBERNETES_VERSION = 'v1.36.3';

/** What the Node reports as kubeletVersion, in upstream's `<k8s>-vk-<build>` shape. */
export const KUBELET_VERSION = `${KUBERNETES_VERSION}-vkubelet-${CORE_VERSION}`;
