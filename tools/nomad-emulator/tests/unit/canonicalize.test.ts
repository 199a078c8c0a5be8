import { describe, expect, it } from 'vitest';

import { canonicalizeJob } from '../../src/api/canonicalize.js';
import { HttpError } from '../../src/http/errors.js';

const context = { namespace: 'team-a', region: 'global' };

function job(overrides: Record<string, unknown> = {}) {
  return {
    ID: 'web',
    TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }],
    ...overrides,
  };
}

describe('canonicalizeJob', () => {
  it('fills the defaults of a service job as the agent does', () => {
    const result = canonicalizeJob(job(), context);
    expect(result).toMatchObject({
      Namespace: 'team-a',
      Region: 'global',
      Name: 'web',
      Type: 'service',
      Priority: 50,
    });
    expect(result.Datacenters).toEqual(['*']);
    const group = result.TaskGroups[0]!;
    expect(group.Count).toBe(1);
    expect(group.RestartPolicy).toEqual({
      Attempts: 2,
      Interval: 1.8e12,
      Delay: 1.5e10,
      Mode: 'fail',
      RenderTemplates: false,
    });
    expect(group.ReschedulePolicy).toMatchObject({ DelayFunction: 'exponential', Unlimited: true });
    expect(group.Tasks[0]!.Resources).toMatchObject({ CPU: 100, MemoryMB: 300 });
    expect(group.Tasks[0]!.KillTimeout).toBe(5e9);
  });

  it('gives batch jobs the batch restart and reschedule policies, merged with what the group sets', () => {
    const result = canonicalizeJob(
      job({
        Type: 'batch',
        TaskGroups: [
          {
            Name: 'g',
            RestartPolicy: { Attempts: 0 },
            Tasks: [{ Name: 't', Driver: 'exec', Config: { command: 'true' } }],
          },
        ],
      }),
      context,
    );
    expect(result.TaskGroups[0]!.RestartPolicy).toMatchObject({
      Attempts: 0,
      Interval: 8.64e13,
      Mode: 'fail',
    });
    expect(result.TaskGroups[0]!.ReschedulePolicy).toMatchObject({ Attempts: 1, DelayFunction: 'constant' });
  });

  it("answers Nomad's multi-error text with status 500 for an invalid job", () => {
    let error: unknown;
    try {
      canonicalizeJob(job({ Type: 'cron', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't' }] }] }), context);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(500);
    expect((error as HttpError).message).toBe(
      '2 errors occurred:\n\t* Invalid job type: "cron"\n\t* Task group g validation failed: Task 1 validation failed: Missing task driver\n\n',
    );
  });

  it('refuses a request without a job or a job ID with 400', () => {
    expect(() => canonicalizeJob(undefined, context)).toThrow('Job must be specified');
    expect(() => canonicalizeJob({ TaskGroups: [] }, context)).toThrow("Job ID hasn't been provided");
  });
});
