import { canonicalizeJob } from '../../api/canonicalize.js';
import type { Evaluation, Job } from '../../api/types.js';
import { jobKey } from '../../state/store.js';
import type { Reply, RequestContext } from '../context.js';
import { blocking, booleanParam, listQuery, query, readJson, ensure } from '../context.js';
import { HttpError, notFound } from '../errors.js';
import type { Route } from '../router.js';
import { allocStub, jobStub } from '../stubs.js';

const NO_PATH_TO_REGION = 'No path to region';

/** The answer to a job write (api.JobRegisterResponse, api.JobDeregisterResponse). */
function writeAnswer(
  evaluation: Evaluation,
  jobModifyIndex: number,
  extra: Record<string, unknown> = {},
): Reply {
  return {
    body: {
      EvalID: evaluation.ID,
      EvalCreateIndex: evaluation.CreateIndex,
      JobModifyIndex: jobModifyIndex,
      ...extra,
      Index: evaluation.CreateIndex,
      LastContact: 0,
      KnownLeader: false,
      NextToken: '',
    },
    headers: { 'X-Nomad-Index': String(evaluation.CreateIndex) },
  };
}

function existingJob(ctx: RequestContext): Job {
  const job = ctx.cluster.store.job(ctx.namespace, ctx.params['id']!);
  if (!job) throw notFound('job not found');
  return job;
}

/** `PUT /v1/jobs` and `PUT|POST /v1/job/<id>`: register a job (api.JobRegisterRequest). */
async function register(ctx: RequestContext): Promise<Reply> {
  const request = await readJson(ctx);
  const body = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  const submitted = body['Job'];
  const pathId = ctx.params['id'];
  const job = canonicalizeJob(submitted, { namespace: ctx.namespace, region: ctx.agent.region });
  if (pathId !== undefined && job.ID !== pathId) throw new HttpError(400, 'Job ID does not match name');
  if (job.Region !== ctx.agent.region) throw new HttpError(500, NO_PATH_TO_REGION);
  ensure(ctx.identity.allowed(job.Namespace, 'submit-job'));
  if (job.TaskGroups.some(group => group.Tasks.some(task => task.Lifecycle?.Hook === 'poststop'))) {
    throw new HttpError(400, 'nomad-emulator: poststop lifecycle tasks are not emulated');
  }
  const { job: stored, evaluation } = ctx.cluster.register(job, {
    enforceIndex: body['EnforceIndex'] === true,
    jobModifyIndex: typeof body['JobModifyIndex'] === 'number' ? body['JobModifyIndex'] : 0,
  });
  return writeAnswer(evaluation, stored.JobModifyIndex, { Warnings: '' });
}

/** `GET /v1/jobs`: with `?namespace=*` the jobs of every namespace the token may list. */
async function list(ctx: RequestContext): Promise<Reply> {
  const all = ctx.namespace === '*';
  if (!all) ensure(ctx.identity.allowed(ctx.namespace, 'list-jobs'));
  const prefix = query(ctx, 'prefix') ?? '';
  const meta = booleanParam(ctx, 'meta');
  return blocking(ctx, () => {
    const jobs = [...ctx.cluster.store.jobs.values()].filter(
      job =>
        job.ID.startsWith(prefix) &&
        (all ? ctx.identity.allowed(job.Namespace, 'list-jobs') : job.Namespace === ctx.namespace),
    );
    const page = listQuery(ctx, jobs, job => (all ? jobKey(job.Namespace, job.ID) : job.ID));
    return {
      body: page.items.map(job => jobStub(job, ctx.cluster.summary(job), meta)),
      index: ctx.cluster.store.indexOf('jobs', 'job_summary'),
      headers: page.headers,
    };
  });
}

async function read(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  return blocking(ctx, () => {
    const job = ctx.cluster.store.job(ctx.namespace, ctx.params['id']!);
    if (!job && (query(ctx, 'index') ?? '0') === '0') throw notFound('job not found');
    return job
      ? { body: job, index: job.ModifyIndex }
      : { status: 404, body: 'job not found', index: ctx.cluster.store.indexOf('jobs') };
  });
}

async function deregister(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.allowed(ctx.namespace, 'submit-job'));
  const { job, evaluation } = ctx.cluster.deregister(
    ctx.namespace,
    ctx.params['id']!,
    booleanParam(ctx, 'purge'),
  );
  return writeAnswer(evaluation, job?.JobModifyIndex ?? evaluation.CreateIndex, {
    VolumeEvalID: '',
    VolumeEvalIndex: 0,
  });
}

/** `GET /v1/job/<id>/allocations`: `?all=false` keeps those of the job's current incarnation. */
async function allocations(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  const all = booleanParam(ctx, 'all');
  const id = ctx.params['id']!;
  return blocking(ctx, () => {
    const store = ctx.cluster.store;
    const job = store.job(ctx.namespace, id);
    const allocs = job && !all ? ctx.cluster.currentAllocs(job) : store.allocsOfJob(ctx.namespace, id);
    const index =
      allocs.length > 0 ? Math.max(...allocs.map(alloc => alloc.ModifyIndex)) : store.indexOf('allocs');
    return { body: allocs.map(alloc => allocStub(alloc)), index };
  });
}

async function evaluations(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  return blocking(ctx, () => {
    const evals = ctx.cluster.store.evalsOfJob(ctx.namespace, ctx.params['id']!);
    const index =
      evals.length > 0
        ? Math.max(...evals.map(evaluation => evaluation.ModifyIndex))
        : ctx.cluster.store.indexOf('evals');
    return { body: evals, index };
  });
}

async function versions(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  return blocking(ctx, () => {
    const job = existingJob(ctx);
    const all = ctx.cluster.store.jobVersions.get(jobKey(job.Namespace, job.ID)) ?? [job];
    return { body: { Versions: all, Diffs: null }, index: ctx.cluster.store.indexOf('job_version') };
  });
}

async function summary(ctx: RequestContext): Promise<Reply> {
  ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  return blocking(ctx, () => ({
    body: ctx.cluster.summary(existingJob(ctx)),
    index: ctx.cluster.store.indexOf('job_summary'),
  }));
}

export const jobRoutes: Route[] = [
  { methods: ['PUT', 'POST'], path: '/v1/jobs', handler: register },
  { methods: ['GET'], path: '/v1/jobs', handler: list },
  { methods: ['GET'], path: '/v1/job/:id/allocations', handler: allocations },
  { methods: ['GET'], path: '/v1/job/:id/evaluations', handler: evaluations },
  { methods: ['GET'], path: '/v1/job/:id/versions', handler: versions },
  { methods: ['GET'], path: '/v1/job/:id/summary', handler: summary },
  { methods: ['GET'], path: '/v1/job/:id', handler: read },
  { methods: ['PUT', 'POST'], path: '/v1/job/:id', handler: register },
  { methods: ['DELETE'], path: '/v1/job/:id', handler: deregister },
];
