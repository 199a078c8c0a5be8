import { readFile } from 'node:fs/promises';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { parseQuantity } from '@vkubelet/provider-kit';

const quantity = (what: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      const parsed = parseQuantity(value);
      if (parsed > 0) return String(value);
      ctx.addIssue({ code: 'custom', message: `${what} must be greater than zero` });
    } catch {
      ctx.addIssue({ code: 'custom', message: `${what} is not a Kubernetes quantity: "${value}"` });
    }
    return z.NEVER;
  });

const arn = z
  .string()
  .regex(/^arn:[^:]+:iam::\d*:role\/.+$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');

/** The provider config file (`--provider-config`), YAML (a JSON file is valid YAML too). */
export const fargateConfigSchema = z
  .object({
    /** ECS cluster the tasks run in. */
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be 1-255 letters, digits, hyphens or underscores')
      .default('default'),
    /** Create the cluster at start-up when it does not exist (otherwise a missing cluster is an error). */
    createCluster: z.boolean().default(false),
    /** AWS region; default from the standard chain (AWS_REGION, ~/.aws/config). */
    region: z.string().min(1).optional(),
    /** Endpoint override for ECS and CloudWatch Logs (moto, LocalStack, a VPC endpoint). */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** awsvpc subnets for the tasks' ENIs. */
    subnets: z.array(z.string().min(1)).min(1, 'needs at least one subnet'),
    securityGroups: z.array(z.string().min(1)).default([]),
    assignPublicIp: z.boolean().default(false),
    /** Role ECS uses to pull images and write logs; required with logGroup (the awslogs driver needs it). */
    executionRoleArn: arn.optional(),
    /** Default role for the tasks; a pod's annotation `iam.amazonaws.com/role` overrides it. */
    taskRoleArn: arn.optional(),
    /** CloudWatch Logs group for container output; without it, `kubectl logs` is unavailable. */
    logGroup: z.string().min(1).max(512).optional(),
    /** awslogs stream prefix; streams are `<prefix>/<container>/<task-id>`. */
    logStreamPrefix: z
      .string()
      .regex(/^[^:*]{1,256}$/, 'must not contain ":" or "*"')
      .default('vk'),
    platformVersion: z.string().min(1).default('LATEST'),
    /** What the node advertises to the scheduler. */
    capacity: z
      .object({
        cpu: quantity('capacity.cpu').default('20'),
        memory: quantity('capacity.memory').default('40Gi'),
        pods: quantity('capacity.pods').default('20'),
      })
      .strict()
      .prefault({}),
    /** How often all tasks are described (one DescribeTasks per 100 tasks). */
    statusIntervalMs: z.number().int().min(100).max(600_000).default(5_000),
    /** SDK attempts per call, with adaptive (client-side rate limited) retries for throttling. */
    maxAttempts: z.number().int().min(1).max(20).default(5),
  })
  .strict()
  .refine(config => config.logGroup === undefined || config.executionRoleArn !== undefined, {
    message: 'executionRoleArn is required when logGroup is set (the awslogs driver runs as that role)',
    path: ['executionRoleArn'],
  });

export type FargateConfig = z.output<typeof fargateConfigSchema>;
export type FargateConfigInput = z.input<typeof fargateConfigSchema>;

/** Validates a config object; the error lists every problem with its field path. */
export function parseFargateConfig(input: unknown, source = 'fargate config'): FargateConfig {
  const result = fargateConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(issue => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `  ${path}: ${issue.message}`;
  });
  throw new Error(`invalid ${source}:\n${problems.join('\n')}`);
}

/** Reads and validates the YAML (or JSON) config file. */
export async function loadFargateConfig(path: string): Promise<FargateConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read fargate config ${path}: ${(err as Error).message}`, { cause: err });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new Error(`fargate config ${path} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseFargateConfig(document ?? {}, `fargate config ${path}`);
}
