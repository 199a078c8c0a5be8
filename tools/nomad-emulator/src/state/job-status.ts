import type { Allocation, Evaluation, Job } from '../api/types.js';

function allocTerminal(alloc: Allocation): boolean {
  return (
    alloc.DesiredStatus !== 'run' ||
    alloc.ClientStatus === 'complete' ||
    alloc.ClientStatus === 'failed' ||
    alloc.ClientStatus === 'lost'
  );
}

function evalTerminal(evaluation: Evaluation): boolean {
  return (
    evaluation.Status === 'complete' || evaluation.Status === 'failed' || evaluation.Status === 'canceled'
  );
}

/**
 * Nomad's job status: `running` while an allocation is not terminal, else `pending` while an
 * evaluation is (a blocked one, a delayed reschedule), else `dead` once anything ran or was evaluated.
 */
export function jobStatus(job: Job, allocs: readonly Allocation[], evals: readonly Evaluation[]): string {
  if (job.Type === 'system' || job.Periodic || job.ParameterizedJob) return job.Stop ? 'dead' : 'running';
  if (allocs.some(alloc => !allocTerminal(alloc))) return 'running';
  if (evals.some(evaluation => !evalTerminal(evaluation))) return 'pending';
  return allocs.length > 0 || evals.length > 0 ? 'dead' : 'pending';
}

export interface TaskGroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
  Unknown: number;
}

/** `/v1/job/<id>/summary` and the JobSummary of job list entries. */
export function jobSummary(
  job: Job,
  allocs: readonly Allocation[],
  queued: ReadonlyMap<string, number>,
  modifyIndex: number,
): Record<string, unknown> {
  const summary: Record<string, TaskGroupSummary> = {};
  for (const group of job.TaskGroups) {
    summary[group.Name] = {
      Queued: queued.get(group.Name) ?? 0,
      Complete: 0,
      Failed: 0,
      Running: 0,
      Starting: 0,
      Lost: 0,
      Unknown: 0,
    };
  }
  for (const alloc of allocs) {
    const group = summary[alloc.TaskGroup];
    if (!group) continue;
    if (alloc.ClientStatus === 'pending') group.Starting++;
    else if (alloc.ClientStatus === 'running') group.Running++;
    else if (alloc.ClientStatus === 'complete') group.Complete++;
    else if (alloc.ClientStatus === 'failed') group.Failed++;
    else if (alloc.ClientStatus === 'lost') group.Lost++;
    else group.Unknown++;
  }
  return {
    JobID: job.ID,
    Namespace: job.Namespace,
    Summary: summary,
    Children: { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: job.CreateIndex,
    ModifyIndex: modifyIndex,
  };
}
