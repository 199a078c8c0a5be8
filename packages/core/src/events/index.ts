export { EventRecorder, podControllerComponent, type EventRecorderOptions } from './recorder.js';
export { eventsApiSink, type EventSink } from './sink.js';
export type { EventType, PodEventRecorder } from './types.js';
