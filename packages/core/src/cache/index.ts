export { Informer, type InformerHandlers, type InformerOptions } from './informer.js';
export { objectKey, type KubeObject } from './object-key.js';
