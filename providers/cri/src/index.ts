export { plugin } from './plugin.js';
export { CriProvider } from './provider.js';
export { CriBackend } from './backend.js';
export { criConfigSchema, type CriConfig } from './config.js';
export { CriClient, type CriApi, type CriClientOptions, type RpcOptions } from './cri/client.js';
export { RuntimeHealth } from './cri/health.js';
export { criInventory, type CriPodInventory } from './inventory.js';
export { parseCriLogLine, readCriLog, CriLogJoiner, type CriLogLine } from './logs.js';
