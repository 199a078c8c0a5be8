import type { Allocation, Evaluation } from '../../api/types.js';
import type { Reply, RequestContext } from '../context.js';
import { blocking, booleanParam, listQuery, query, ensure } from '../context.js';
import { notFound } from '../errors.js';
import type { Route } from '../router.js';
import { allocStub, evalStub } from '../stubs.js';

/** The allocation named in the path; any namespace, the token must hold `capability` in its own. */
export function pathAllocation(ctx: RequestContext, capability: string): Allocation {
  const alloc = ctx.cluster.store.allocs.get(ctx.params['id'] ?? '');
  if (!alloc) throw notFound(`Unknown allocation "${ctx.params['id'] ?? ''}"`);
  ensure(ctx.identity.allowed(alloc.Namespace, capability));
  return alloc;
}

/** Namespaces a list covers: the requested one (the token must be allowed), or with `*` every allowed one. */
function visible(ctx: RequestContext, namespace: string): boolean {
  return ctx.namespace === '*' ? ctx.identity.allowed(namespace, 'read-job') : namespace === ctx.namespace;
}

async function listAllocations(ctx: RequestContext): Promise<Reply> {
  if (ctx.namespace !== '*') ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  const prefix = query(ctx, 'prefix') ?? '';
  const resources = booleanParam(ctx, 'resources');
  const taskStates = booleanParam(ctx, 'task_states', true);
  return blocking(ctx, () => {
    const allocs = [...ctx.cluster.store.allocs.values()].filter(
      alloc => alloc.ID.startsWith(prefix) && visible(ctx, alloc.Namespace),
    );
    const page = listQuery(
      ctx,
      allocs,
      alloc => alloc.ID,
      alloc => allocStub(alloc, { resources: true }),
    );
    return {
      body: page.items.map(alloc => allocStub(alloc, { resources, taskStates })),
      index: ctx.cluster.store.indexOf('allocs'),
      headers: page.headers,
    };
  });
}

async function readAllocation(ctx: RequestContext): Promise<Reply> {
  const id = ctx.params['id']!;
  const first = ctx.cluster.store.allocs.get(id);
  if (!first) throw notFound('alloc not found');
  ensure(ctx.identity.allowed(first.Namespace, 'read-job'));
  return blocking(ctx, () => {
    const alloc = ctx.cluster.store.allocs.get(id)!;
    return { body: alloc, index: alloc.ModifyIndex };
  });
}

async function stopAllocation(ctx: RequestContext): Promise<Reply> {
  const alloc = ctx.cluster.store.allocs.get(ctx.params['id']!);
  if (!alloc) throw notFound('alloc not found');
  ensure(ctx.identity.allowed(alloc.Namespace, 'alloc-lifecycle'));
  const evaluation = ctx.cluster.stopAllocation(alloc);
  return {
    body: { EvalID: evaluation.ID, Index: evaluation.CreateIndex },
    index: evaluation.CreateIndex,
  };
}

function pathEvaluation(ctx: RequestContext): Evaluation {
  const evaluation = ctx.cluster.store.evals.get(ctx.params['id'] ?? '');
  if (!evaluation) throw notFound('eval not found');
  ensure(ctx.identity.allowed(evaluation.Namespace, 'read-job'));
  return evaluation;
}

async function readEvaluation(ctx: RequestContext): Promise<Reply> {
  pathEvaluation(ctx);
  const related = booleanParam(ctx, 'related');
  return blocking(ctx, () => {
    const evaluation = pathEvaluation(ctx);
    const relatedEvals = related
      ? ctx.cluster.store
          .evalsOfJob(evaluation.Namespace, evaluation.JobID)
          .filter(other => other.ID !== evaluation.ID)
          .map(evalStub)
      : null;
    return { body: { ...evaluation, RelatedEvals: relatedEvals }, index: evaluation.ModifyIndex };
  });
}

async function evaluationAllocations(ctx: RequestContext): Promise<Reply> {
  const evaluation = pathEvaluation(ctx);
  return blocking(ctx, () => {
    const allocs = [...ctx.cluster.store.allocs.values()].filter(alloc => alloc.EvalID === evaluation.ID);
    return { body: allocs.map(alloc => allocStub(alloc)), index: ctx.cluster.store.indexOf('allocs') };
  });
}

async function listEvaluations(ctx: RequestContext): Promise<Reply> {
  if (ctx.namespace !== '*') ensure(ctx.identity.allowed(ctx.namespace, 'read-job'));
  const prefix = query(ctx, 'prefix') ?? '';
  const status = query(ctx, 'status');
  const jobId = query(ctx, 'job');
  return blocking(ctx, () => {
    const evals = [...ctx.cluster.store.evals.values()].filter(
      evaluation =>
        evaluation.ID.startsWith(prefix) &&
        visible(ctx, evaluation.Namespace) &&
        (!status || evaluation.Status === status) &&
        (!jobId || evaluation.JobID === jobId),
    );
    const page = listQuery(ctx, evals, evaluation => evaluation.ID);
    return {
      body: page.items,
      index: ctx.cluster.store.indexOf('evals'),
      headers: page.headers,
    };
  });
}

export const allocationRoutes: Route[] = [
  { methods: ['GET'], path: '/v1/allocations', handler: listAllocations },
  { methods: ['PUT', 'POST'], path: '/v1/allocation/:id/stop', handler: stopAllocation },
  { methods: ['GET'], path: '/v1/allocation/:id', handler: readAllocation },
  { methods: ['GET'], path: '/v1/evaluations', handler: listEvaluations },
  { methods: ['GET'], path: '/v1/evaluation/:id/allocations', handler: evaluationAllocations },
  { methods: ['GET'], path: '/v1/evaluation/:id', handler: readEvaluation },
];
