/**
 * An in-memory stand-in for a container cloud that can only be polled: no watch, no push, status
 * read in batches (as ECS DescribeTasks reads up to 100 tasks, ECI DescribeContainerGroupStatus a
 * page of groups). Every request is counted, waits a simulated round trip, and is reported to
 * `onRequest`, so a benchmark sees how many requests a provider makes.
 */

/** A task as the cloud describes it. */
export interface CloudTask {
  id: string;
  /** The pod's UID, tagged on the task at run time. */
  uid: string;
  /** The pod as created, tagged on the task (how a restarted agent rebuilds it). */
  pod: string;
  status: 'PENDING' | 'RUNNING';
  /** Epoch ms. */
  createdAt: number;
  startedAt?: number;
  ip: string;
}

export type CloudOperation = 'run' | 'describe' | 'stop' | 'list';

export interface PolledCloudOptions {
  /** Time from run to RUNNING. */
  startupDelayMs: number;
  /** Simulated round trip of every request. */
  requestLatencyMs: number;
  /** Most tasks one describe request may name. */
  describeLimit: number;
  /** Called once per request, with the number of tasks it named. */
  onRequest?: (operation: CloudOperation, tasks: number) => void;
  now?: () => number;
}

interface StoredTask {
  id: string;
  uid: string;
  pod: string;
  createdAt: number;
  ip: string;
}

export class PolledCloud {
  readonly requests: Record<CloudOperation, number> = { run: 0, describe: 0, stop: 0, list: 0 };
  private readonly tasks = new Map<string, StoredTask>();
  private readonly byUid = new Map<string, string>();
  private sequence = 0;
  private readonly now: () => number;

  constructor(private readonly options: PolledCloudOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts a task for the pod; it answers as accepted (PENDING), as RunTask does. */
  async run(uid: string, pod: string): Promise<CloudTask> {
    await this.request('run', 1);
    const n = ++this.sequence;
    const task: StoredTask = {
      id: `task-${n}`,
      uid,
      pod,
      createdAt: this.now(),
      ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    };
    this.tasks.set(task.id, task);
    this.byUid.set(uid, task.id);
    return { ...this.describeOne(task), status: 'PENDING' };
  }

  /** The tasks of these ids that still exist; more than `describeLimit` ids is a client error. */
  async describe(ids: readonly string[]): Promise<CloudTask[]> {
    if (ids.length > this.options.describeLimit)
      throw new Error(`describe names ${ids.length} tasks, at most ${this.options.describeLimit} allowed`);
    await this.request('describe', ids.length);
    return ids.flatMap(id => {
      const task = this.tasks.get(id);
      return task ? [this.describeOne(task)] : [];
    });
  }

  /** Stops and removes a task; stopping one that is gone does nothing. */
  async stop(id: string): Promise<void> {
    await this.request('stop', 1);
    const task = this.tasks.get(id);
    if (!task) return;
    this.tasks.delete(id);
    if (this.byUid.get(task.uid) === id) this.byUid.delete(task.uid);
  }

  /** Every task, or the one tagged with this pod UID. */
  async list(uid?: string): Promise<CloudTask[]> {
    const tasks =
      uid === undefined
        ? [...this.tasks.values()]
        : [this.tasks.get(this.byUid.get(uid) ?? '')].filter(t => t !== undefined);
    await this.request('list', tasks.length);
    return tasks.map(task => this.describeOne(task));
  }

  private describeOne(task: StoredTask): CloudTask {
    const startedAt = task.createdAt + this.options.startupDelayMs;
    const running = this.now() >= startedAt;
    return {
      id: task.id,
      uid: task.uid,
      pod: task.pod,
      status: running ? 'RUNNING' : 'PENDING',
      createdAt: task.createdAt,
      ...(running ? { startedAt } : {}),
      ip: task.ip,
    };
  }

  private async request(operation: CloudOperation, tasks: number): Promise<void> {
    this.requests[operation]++;
    this.options.onRequest?.(operation, tasks);
    if (this.options.requestLatencyMs > 0)
      await new Promise(resolve => setTimeout(resolve, this.options.requestLatencyMs));
  }
}
