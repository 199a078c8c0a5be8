export {
  buildPodStatus,
  goneObservation,
  type BuildPodStatusOptions,
  type ContainerObservation,
  type PodObservation,
} from './build-pod-status.js';
export { KUBELET_CONDITIONS } from './conditions.js';
export { podPhase, type PodPhase } from './phase.js';
export { podQOSClass, type QOSClass } from './qos.js';
