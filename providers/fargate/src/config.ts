import { capacitySchema } from '@vkubelet/provider-kit';
import { z } from 'zod';

const arn = z
  .string()
  .regex(/^arn:[^:]+:iam::\d*:role\/.+$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');

/** The provider config file (`--provider-config`, YAML or JSON). */
export const fargateConfigSchema = z
  .object({
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be 1-255 letters, digits, hyphens or underscores')
      .default('default')
      .meta({ description: 'ECS cluster the tasks run in' }),
    createCluster: z
      .boolean()
      .default(false)
      .meta({ description: 'create the cluster at start-up when it does not exist (else that is an error)' }),
    region: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'AWS region; default from the AWS chain (AWS_REGION, ~/.aws/config)' }),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({ description: 'endpoint override for ECS and CloudWatch Logs (moto, a VPC endpoint)' }),
    subnets: z
      .array(z.string().min(1))
      .min(1, 'needs at least one subnet')
      .meta({ description: "awsvpc subnets for the tasks' network interfaces" }),
    securityGroups: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: "security groups of the tasks (default: the VPC's default group)" }),
    assignPublicIp: z
      .boolean()
      .default(false)
      .meta({ description: 'a public IP per task (pulling public images from subnets without a NAT)' }),
    executionRoleArn: arn
      .optional()
      .meta({ description: 'role ECS pulls images and writes logs with; required with logGroup' }),
    taskRoleArn: arn.optional().meta({
      description: 'default role of the tasks; the pod annotation iam.amazonaws.com/role overrides it',
    }),
    logGroup: z.string().min(1).max(512).optional().meta({
      description: 'CloudWatch Logs group for container output; without it `kubectl logs` answers 501',
    }),
    logStreamPrefix: z
      .string()
      .regex(/^[^:*]{1,256}$/, 'must not contain ":" or "*"')
      .default('vk')
      .meta({ description: 'awslogs stream prefix; streams are `<prefix>/<container>/<task-id>`' }),
    platformVersion: z.string().min(1).default('LATEST').meta({ description: 'Fargate platform version' }),
    capacity: capacitySchema({ cpu: '20', memory: '40Gi', pods: '20' }),
    statusIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5_000)
      .meta({ description: 'how often every task is described (one DescribeTasks per 100 tasks)' }),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .meta({ description: 'SDK attempts per call, with adaptive retries for throttling' }),
  })
  .strict()
  .refine(config => config.logGroup === undefined || config.executionRoleArn !== undefined, {
    message: 'required when logGroup is set (the awslogs driver runs as that role)',
    path: ['executionRoleArn'],
  });

export type FargateConfig = z.output<typeof fargateConfigSchema>;
export type FargateConfigInput = z.input<typeof fargateConfigSchema>;
