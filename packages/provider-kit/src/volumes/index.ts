export { volumeFiles, type VolumeFile } from './volume-files.js';
