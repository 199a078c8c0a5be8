/**
 * Labels and annotations this provider puts on sandboxes and containers, so that a restarted agent
 * finds its pods again (ListPodSandbox by label) and rebuilds them without any local state.
 */
export const LABEL_NODE = 'vkubelet.io/node';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** `init` or `app`: which list of the pod spec the container came from. */
export const LABEL_CONTAINER_KIND = 'vkubelet.io/container-kind';
/** The pod as created (JSON), so getPod can answer with its spec after an agent restart. */
export const ANNOTATION_POD = 'vkubelet.io/pod';
