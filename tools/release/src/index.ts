export { copyRepository } from './repo-copy.js';
export { run, runOk, start, type RunOptions, type RunResult, type Running } from './run.js';
export { startRegistry, type LocalRegistry } from './verdaccio.js';
