import type { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { type ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';

import { describeTasks } from '../../src/adoption.js';
import { callEcs } from '../../src/aws.js';

describe('describeTasks', () => {
  it('describes any number of tasks in calls of at most 100, reporting the missing ones', async () => {
    const calls: string[][] = [];
    const ecs = {
      send: (command: DescribeTasksCommand) => {
        const arns = command.input.tasks ?? [];
        calls.push(arns);
        return Promise.resolve({
          tasks: arns.filter(arn => arn !== 'task-7').map(taskArn => ({ taskArn, lastStatus: 'RUNNING' })),
          failures: arns.includes('task-7') ? [{ arn: 'task-7', reason: 'MISSING' }] : [],
        });
      },
    } as unknown as ECSClient;
    const arns = Array.from({ length: 250 }, (_, i) => `task-${i}`);

    const { tasks, missing } = await describeTasks({ ecs, cluster: 'c', call: callEcs }, arns);

    expect(calls.map(batch => batch.length)).toEqual([100, 100, 50]);
    expect(calls.flat()).toEqual(arns);
    expect(tasks).toHaveLength(249);
    expect(missing).toEqual(['task-7']);
  });
});
