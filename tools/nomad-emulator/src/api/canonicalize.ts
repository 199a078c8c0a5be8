import { HttpError } from '../http/errors.js';
import type {
  Job,
  JobType,
  NetworkResource,
  ReschedulePolicy,
  RestartPolicy,
  Task,
  TaskGroup,
} from './types.js';

/*
 * What the Nomad agent does to a submitted job before it stores it: fill the defaults the api
 * module's Canonicalize() documents (restart and reschedule policies per job type, task resources,
 * kill timeout, log config) and refuse what Nomad's validation refuses, in Nomad's multi-error text.
 */

const SECOND = 1_000_000_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const JOB_TYPES: readonly JobType[] = ['service', 'batch', 'system', 'sysbatch'];
const LIFECYCLE_HOOKS = ['prestart', 'poststart', 'poststop'];

function defaultRestartPolicy(type: JobType): Required<RestartPolicy> {
  return type === 'service' || type === 'system'
    ? { Delay: 15 * SECOND, Attempts: 2, Interval: 30 * MINUTE, Mode: 'fail', RenderTemplates: false }
    : { Delay: 15 * SECOND, Attempts: 3, Interval: 24 * HOUR, Mode: 'fail', RenderTemplates: false };
}

function defaultReschedulePolicy(type: JobType): Required<ReschedulePolicy> | null {
  if (type === 'service') {
    return {
      Delay: 30 * SECOND,
      DelayFunction: 'exponential',
      MaxDelay: HOUR,
      Unlimited: true,
      Attempts: 0,
      Interval: 0,
    };
  }
  if (type === 'batch') {
    return {
      Attempts: 1,
      Interval: 24 * HOUR,
      Delay: 5 * SECOND,
      DelayFunction: 'constant',
      MaxDelay: 0,
      Unlimited: false,
    };
  }
  return null;
}

/** Fields of `override` that are set (not null/undefined) replace those of `base`. */
function merge<T extends object>(base: T, override: Partial<T> | null | undefined): T {
  const result = { ...base };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value !== null && value !== undefined) (result as Record<string, unknown>)[key] = value;
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nomad's validation errors are a go-multierror list, answered with status 500. */
export function validationError(errors: readonly string[]): HttpError {
  const list = errors.map(error => `\t* ${error}`).join('\n');
  const count = errors.length === 1 ? '1 error occurred' : `${errors.length} errors occurred`;
  return new HttpError(500, `${count}:\n${list}\n\n`);
}

export interface SubmitContext {
  /** The namespace of the request (`?namespace=`), used when the job names none. */
  namespace: string;
  /** The agent's region, used when the job names none. */
  region: string;
}

/**
 * Validates a submitted job (the `Job` of a register request) and returns it canonical, without the
 * server-set fields (versions, indexes, status), which the store fills.
 */
export function canonicalizeJob(input: unknown, context: SubmitContext): Job {
  if (!isRecord(input)) throw new HttpError(400, 'Job must be specified');
  if (typeof input['ID'] !== 'string' || input['ID'] === '') {
    throw new HttpError(400, "Job ID hasn't been provided");
  }
  const errors: string[] = [];
  const type = (input['Type'] ?? 'service') as JobType;
  if (!JOB_TYPES.includes(type)) errors.push(`Invalid job type: "${String(type)}"`);
  const id = input['ID'];
  if (/\s/.test(id)) errors.push('Job ID contains a space');
  if (id.includes('\0')) errors.push('Job ID contains a null character');
  const groups = Array.isArray(input['TaskGroups']) ? (input['TaskGroups'] as unknown[]) : [];
  if (groups.length === 0) errors.push('Missing job task groups');
  const priority = input['Priority'] ?? 50;
  if (typeof priority !== 'number' || priority < 1 || priority > 100) {
    errors.push('Job priority must be between [1, 100]');
  }
  const datacenters = Array.isArray(input['Datacenters']) ? (input['Datacenters'] as string[]) : ['*'];

  const groupNames = new Set<string>();
  const taskGroups: TaskGroup[] = groups.map((raw, index) => {
    const group = canonicalizeGroup(raw, index, JOB_TYPES.includes(type) ? type : 'service', errors);
    if (groupNames.has(group.Name)) errors.push(`Job task group ${index + 1} redefines '${group.Name}'`);
    groupNames.add(group.Name);
    return group;
  });
  if (errors.length > 0) throw validationError(errors);

  const { TaskGroups: _groups, ...rest } = input;
  return {
    ...rest,
    Region: typeof input['Region'] === 'string' && input['Region'] !== '' ? input['Region'] : context.region,
    Namespace:
      typeof input['Namespace'] === 'string' && input['Namespace'] !== ''
        ? input['Namespace']
        : context.namespace,
    ID: id,
    Name: typeof input['Name'] === 'string' && input['Name'] !== '' ? input['Name'] : id,
    Type: type,
    Priority: priority as number,
    AllAtOnce: input['AllAtOnce'] === true,
    Datacenters: datacenters.length > 0 ? datacenters : ['*'],
    NodePool:
      typeof input['NodePool'] === 'string' && input['NodePool'] !== '' ? input['NodePool'] : 'default',
    Meta: isRecord(input['Meta']) ? (input['Meta'] as Record<string, string>) : null,
    Stop: input['Stop'] === true,
    ParentID: typeof input['ParentID'] === 'string' ? input['ParentID'] : '',
    TaskGroups: taskGroups,
    Status: '',
    StatusDescription: '',
    Stable: false,
    Version: 0,
    SubmitTime: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
  };
}

function canonicalizeGroup(raw: unknown, index: number, type: JobType, errors: string[]): TaskGroup {
  const group = isRecord(raw) ? raw : {};
  const name = typeof group['Name'] === 'string' ? group['Name'] : '';
  const where = `Task group ${name || String(index + 1)} validation failed`;
  if (name === '') errors.push(`Job task group ${index + 1} missing name`);
  const count = group['Count'] ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    errors.push(`${where}: Task group count can't be negative`);
  }
  const restart = merge(defaultRestartPolicy(type), group['RestartPolicy'] as RestartPolicy | undefined);
  if (restart.Mode !== 'fail' && restart.Mode !== 'delay') {
    errors.push(`${where}: Unsupported restart mode: "${String(restart.Mode)}"`);
  }
  const rescheduleDefault = defaultReschedulePolicy(type);
  const reschedule = rescheduleDefault
    ? merge(rescheduleDefault, group['ReschedulePolicy'] as ReschedulePolicy | undefined)
    : null;
  const rawTasks = Array.isArray(group['Tasks']) ? (group['Tasks'] as unknown[]) : [];
  if (rawTasks.length === 0) errors.push(`${where}: Missing tasks for task group`);
  const taskNames = new Set<string>();
  const tasks = rawTasks.map((rawTask, taskIndex) => {
    const task = canonicalizeTask(rawTask, restart, `${where}: Task ${String(taskIndex + 1)}`, errors);
    if (taskNames.has(task.Name)) errors.push(`${where}: Task ${taskIndex + 1} redefines '${task.Name}'`);
    taskNames.add(task.Name);
    return task;
  });
  const disk = isRecord(group['EphemeralDisk']) ? group['EphemeralDisk'] : {};
  return {
    ...group,
    Name: name,
    Count: count as number,
    Tasks: tasks,
    RestartPolicy: restart,
    ReschedulePolicy: reschedule,
    EphemeralDisk: {
      Sticky: disk['Sticky'] === true,
      Migrate: disk['Migrate'] === true,
      SizeMB: typeof disk['SizeMB'] === 'number' ? disk['SizeMB'] : 300,
    },
    Networks: Array.isArray(group['Networks']) ? (group['Networks'] as TaskGroup['Networks']) : null,
    Meta: isRecord(group['Meta']) ? (group['Meta'] as Record<string, string>) : null,
  };
}

function canonicalizeTask(raw: unknown, groupRestart: RestartPolicy, where: string, errors: string[]): Task {
  const task = isRecord(raw) ? raw : {};
  const name = typeof task['Name'] === 'string' ? task['Name'] : '';
  if (name === '') errors.push(`${where} missing name`);
  if (name.includes('/')) errors.push(`${where} validation failed: Task name "${name}" may not contain '/'`);
  const driver = typeof task['Driver'] === 'string' ? task['Driver'] : '';
  if (driver === '') errors.push(`${where} validation failed: Missing task driver`);
  const lifecycle = isRecord(task['Lifecycle']) ? task['Lifecycle'] : undefined;
  const hook = typeof lifecycle?.['Hook'] === 'string' ? lifecycle['Hook'] : '';
  if (lifecycle && hook !== '' && !LIFECYCLE_HOOKS.includes(hook)) {
    errors.push(`${where} validation failed: invalid hook: ${hook}`);
  }
  const resources = isRecord(task['Resources']) ? task['Resources'] : {};
  const cores = typeof resources['Cores'] === 'number' ? resources['Cores'] : 0;
  const env = isRecord(task['Env']) ? task['Env'] : null;
  if (env && Object.values(env).some(value => typeof value !== 'string')) {
    errors.push(`${where} validation failed: env values must be strings`);
  }
  return {
    ...task,
    Name: name,
    Driver: driver,
    Lifecycle: lifecycle && hook !== '' ? { Hook: hook, Sidecar: lifecycle['Sidecar'] === true } : null,
    Config: isRecord(task['Config']) ? task['Config'] : null,
    Env: env as Record<string, string> | null,
    Resources: {
      ...resources,
      CPU: typeof resources['CPU'] === 'number' ? resources['CPU'] : cores > 0 ? 0 : 100,
      Cores: cores,
      MemoryMB: typeof resources['MemoryMB'] === 'number' ? resources['MemoryMB'] : 300,
      MemoryMaxMB: typeof resources['MemoryMaxMB'] === 'number' ? resources['MemoryMaxMB'] : 0,
      Networks: Array.isArray(resources['Networks']) ? (resources['Networks'] as NetworkResource[]) : null,
    },
    RestartPolicy: merge(groupRestart, task['RestartPolicy'] as RestartPolicy | undefined),
    KillTimeout: typeof task['KillTimeout'] === 'number' ? task['KillTimeout'] : 5 * SECOND,
    LogConfig: isRecord(task['LogConfig'])
      ? task['LogConfig']
      : { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false },
    Leader: task['Leader'] === true,
    Meta: isRecord(task['Meta']) ? (task['Meta'] as Record<string, string>) : null,
  };
}

/** The job fields a user submits, for deciding whether a register changes the job (a new version). */
export function jobSpecKey(job: Job): string {
  const {
    Status: _status,
    StatusDescription: _description,
    Stable: _stable,
    Version: _version,
    SubmitTime: _submit,
    CreateIndex: _create,
    ModifyIndex: _modify,
    JobModifyIndex: _jobModify,
    ...spec
  } = job;
  return JSON.stringify(spec);
}
