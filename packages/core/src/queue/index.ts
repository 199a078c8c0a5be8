export { WorkQueue, type WorkHandler, type WorkItem, type WorkQueueOptions } from './work-queue.js';
