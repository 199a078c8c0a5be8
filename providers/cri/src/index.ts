export { plugin } from './plugin.js';
export { CriProvider } from './provider.js';
export { CriBackend } from './backend.js';
export { criConfigSchema, type CriConfig } from './config.js';
export { CriClient } from './cri/client.js';
export { parseCriLogLine, readCriLog, CriLogJoiner, type CriLogLine } from './logs.js';
