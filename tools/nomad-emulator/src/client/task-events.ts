import { nowNanos, ZERO_TIME, type TaskEvent, type TaskState } from '../api/types.js';
import { goDuration } from './restart-tracker.js';

/** Task event types, as Nomad names them (api.TaskReceived, api.TaskStarted, ...). */
export const TaskEventType = {
  Received: 'Received',
  Setup: 'Task Setup',
  Driver: 'Driver',
  DriverFailure: 'Driver Failure',
  Started: 'Started',
  Terminated: 'Terminated',
  Killing: 'Killing',
  Killed: 'Killed',
  Restarting: 'Restarting',
  NotRestarting: 'Not Restarting',
  SiblingFailed: 'Sibling Task Failed',
  LeaderDead: 'Leader Task Dead',
  MainDead: 'Main Tasks Dead',
} as const;

function event(type: string, displayMessage: string, fields: Partial<TaskEvent> = {}): TaskEvent {
  return {
    Type: type,
    Time: nowNanos(),
    DisplayMessage: displayMessage,
    Details: {},
    Message: '',
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    DriverMessage: '',
    ExitCode: 0,
    Signal: 0,
    KillReason: '',
    KillTimeout: 0,
    KillError: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    DiskSize: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    GenericSource: '',
    ...fields,
  };
}

/** The events a Nomad client records, each with the DisplayMessage Nomad's CLI and UI show. */
export const taskEvents = {
  received: () => event(TaskEventType.Received, 'Task received by client'),
  setup: () =>
    event(TaskEventType.Setup, 'Building Task Directory', {
      Message: 'Building Task Directory',
      Details: { message: 'Building Task Directory' },
    }),
  driver: (message: string) =>
    event(TaskEventType.Driver, message, { DriverMessage: message, Details: { driver_message: message } }),
  driverFailure: (error: string) =>
    event(TaskEventType.DriverFailure, error, { DriverError: error, Details: { driver_error: error } }),
  started: () => event(TaskEventType.Started, 'Task started by client'),
  terminated: (exitCode: number) =>
    event(TaskEventType.Terminated, `Exit Code: ${exitCode}`, {
      ExitCode: exitCode,
      Details: { exit_code: String(exitCode), signal: '0', oom_killed: 'false' },
    }),
  killing: (killTimeoutNanos: number) =>
    event(
      TaskEventType.Killing,
      `Sent interrupt. Waiting ${goDuration(killTimeoutNanos)} before force killing`,
      {
        KillTimeout: killTimeoutNanos,
        Details: { kill_timeout: goDuration(killTimeoutNanos) },
      },
    ),
  killed: () => event(TaskEventType.Killed, 'Task successfully killed'),
  restarting: (delayMs: number, reason: string) =>
    event(TaskEventType.Restarting, `Task restarting in ${goDuration(Math.round(delayMs * 1e6))}`, {
      StartDelay: Math.round(delayMs * 1e6),
      RestartReason: reason,
      Details: { start_delay: String(Math.round(delayMs * 1e6)), restart_reason: reason },
    }),
  notRestarting: (reason: string) =>
    event(TaskEventType.NotRestarting, reason, {
      RestartReason: reason,
      FailsTask: true,
      Details: { restart_reason: reason, fails_task: 'true' },
    }),
  siblingFailed: (sibling: string) =>
    event(TaskEventType.SiblingFailed, `Task's sibling "${sibling}" failed`, {
      FailedSibling: sibling,
      Details: { failed_sibling: sibling },
    }),
  leaderDead: () => event(TaskEventType.LeaderDead, 'Leader Task in Group dead'),
  mainDead: () => event(TaskEventType.MainDead, 'Main tasks in the group died'),
};

/** Nomad keeps the last 10 events of a task. */
const MAX_EVENTS = 10;

export function newTaskState(): TaskState {
  return {
    State: 'pending',
    Failed: false,
    Restarts: 0,
    LastRestart: ZERO_TIME,
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
    Events: [],
  };
}

/** Appends an event as Nomad's client does: restarts counted, failing events mark the task failed. */
export function appendEvent(state: TaskState, taskEvent: TaskEvent): void {
  state.Events.push(taskEvent);
  if (state.Events.length > MAX_EVENTS) state.Events.splice(0, state.Events.length - MAX_EVENTS);
  if (taskEvent.FailsTask) state.Failed = true;
  if (taskEvent.Type === TaskEventType.Restarting) {
    state.Restarts++;
    state.LastRestart = new Date(taskEvent.Time / 1e6).toISOString();
  }
}
