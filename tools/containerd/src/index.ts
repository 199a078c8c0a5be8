export {
  overlaySupported,
  startContainerd,
  type Containerd,
  type StartContainerdOptions,
} from './containerd.js';
export { buildTestImageArchive, TEST_IMAGES } from './images.js';
export { mountsUnder } from './mounts.js';
