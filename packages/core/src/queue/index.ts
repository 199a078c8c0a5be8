export { WorkQueue, type WorkHandler, type WorkQueueOptions } from './work-queue.js';
