export { EventRecorder, podControllerComponent, type EventRecorderOptions } from './recorder.js';
export { eventsApiSink, type EventObject, type EventSink } from './sink.js';
export type { EventType, PodEventRecorder } from './types.js';
