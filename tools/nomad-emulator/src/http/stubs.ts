import type { Allocation, Evaluation, Job } from '../api/types.js';

/** A `/v1/allocations` or `/v1/job/<id>/allocations` entry (api.AllocationListStub). */
export function allocStub(
  alloc: Allocation,
  options: { resources?: boolean; taskStates?: boolean } = {},
): Record<string, unknown> {
  return {
    ID: alloc.ID,
    EvalID: alloc.EvalID,
    Name: alloc.Name,
    Namespace: alloc.Namespace,
    NodeID: alloc.NodeID,
    NodeName: alloc.NodeName,
    JobID: alloc.JobID,
    JobType: alloc.Job.Type,
    JobVersion: alloc.Job.Version,
    TaskGroup: alloc.TaskGroup,
    ...(options.resources ? { AllocatedResources: alloc.AllocatedResources } : {}),
    DesiredStatus: alloc.DesiredStatus,
    DesiredDescription: alloc.DesiredDescription,
    ClientStatus: alloc.ClientStatus,
    ClientDescription: alloc.ClientDescription,
    DesiredTransition: alloc.DesiredTransition,
    TaskStates: options.taskStates === false ? null : alloc.TaskStates,
    DeploymentStatus: null,
    FollowupEvalID: alloc.FollowupEvalID,
    NextAllocation: alloc.NextAllocation,
    RescheduleTracker: alloc.RescheduleTracker,
    PreemptedAllocations: alloc.PreemptedAllocations,
    PreemptedByAllocation: alloc.PreemptedByAllocation,
    CreateIndex: alloc.CreateIndex,
    ModifyIndex: alloc.ModifyIndex,
    CreateTime: alloc.CreateTime,
    ModifyTime: alloc.ModifyTime,
  };
}

/** A `/v1/jobs` entry (api.JobListStub); `meta` adds the job's Meta (`?meta=true`). */
export function jobStub(job: Job, summary: Record<string, unknown>, meta: boolean): Record<string, unknown> {
  return {
    ID: job.ID,
    ParentID: job.ParentID,
    Name: job.Name,
    Namespace: job.Namespace,
    Datacenters: job.Datacenters,
    NodePool: job.NodePool,
    Multiregion: null,
    Type: job.Type,
    Priority: job.Priority,
    Periodic: Boolean(job.Periodic),
    ParameterizedJob: Boolean(job.ParameterizedJob),
    Stop: job.Stop,
    Status: job.Status,
    StatusDescription: job.StatusDescription,
    JobSummary: summary,
    CreateIndex: job.CreateIndex,
    ModifyIndex: job.ModifyIndex,
    JobModifyIndex: job.JobModifyIndex,
    SubmitTime: job.SubmitTime,
    ...(meta ? { Meta: job.Meta } : {}),
  };
}

/** An entry of an evaluation's RelatedEvals (api.EvaluationStub). */
export function evalStub(evaluation: Evaluation): Record<string, unknown> {
  return {
    ID: evaluation.ID,
    Namespace: evaluation.Namespace,
    Priority: evaluation.Priority,
    Type: evaluation.Type,
    TriggeredBy: evaluation.TriggeredBy,
    JobID: evaluation.JobID,
    NodeID: evaluation.NodeID,
    DeploymentID: evaluation.DeploymentID,
    Status: evaluation.Status,
    StatusDescription: evaluation.StatusDescription,
    WaitUntil: evaluation.WaitUntil,
    NextEval: evaluation.NextEval,
    PreviousEval: evaluation.PreviousEval,
    BlockedEval: evaluation.BlockedEval,
    CreateIndex: evaluation.CreateIndex,
    ModifyIndex: evaluation.ModifyIndex,
    CreateTime: evaluation.CreateTime,
    ModifyTime: evaluation.ModifyTime,
  };
}
