export { Informer, type InformerHandlers, type InformerOptions } from './informer.js';
export { objectKey, type KubeObject } from './object-key.js';
export { podReferences, type ReferencedKind } from './pod-references.js';
export { ScopedResourceCache, type ScopedResourceCacheOptions } from './scoped-resource-cache.js';
