import { capacitySchema, enumSchema } from '@vkubelet/provider-kit';
import { z } from 'zod';

/** What a tag value may hold (ECI: at most 128 characters, no `acs:` prefix, no URL). */
const tagValue = z
  .string()
  .min(1)
  .max(128)
  .refine(value => !value.startsWith('acs:') && !/https?:\/\//.test(value), {
    message: 'must not start with acs: nor hold http(s)://, as ECI tag values',
  });

/** The provider config file (`--provider-config`, YAML or JSON); fields it leaves out come from env. */
export const eciConfigSchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]+(-[a-z0-9]+)+$/, 'must be an Alibaba Cloud region ID such as cn-hangzhou')
      .meta({ env: 'ECI_REGION', description: 'region the container groups run in' }),
    accessKeyId: z
      .string()
      .min(1)
      .meta({ env: 'ECI_ACCESS_KEY', description: 'AccessKey ID (of a RAM user, or an STS key)' }),
    accessKeySecret: z
      .string()
      .min(1)
      .meta({ env: 'ECI_SECRET_KEY', description: 'AccessKey secret (prefer the variable to the file)' }),
    securityToken: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'ECI_SECURITY_TOKEN', description: 'STS security token, with a temporary key' }),
    securityGroupId: z
      .string()
      .min(1)
      .meta({ env: 'ECI_SECURITY_GROUP', description: 'security group of every container group' }),
    vSwitchIds: z
      .array(z.string().min(1))
      .min(1, 'needs at least one vSwitch')
      .max(10, 'ECI takes at most 10 vSwitches')
      .meta({
        env: 'ECI_VSWITCH',
        description: 'vSwitches (comma-separated in the variable); several let ECI pick a zone with stock',
      }),
    clusterName: tagValue.default('default').meta({
      env: 'ECI_CLUSTER_NAME',
      description: 'tags every group, so clusters sharing an account stay apart',
    }),
    zoneId: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "zone of the groups (default: ECI's choice among the vSwitches' zones)" }),
    resourceGroupId: z.string().min(1).optional().meta({ description: 'resource group of the groups' }),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({ env: 'ECI_ENDPOINT', description: 'API endpoint (default https://eci.<region>.aliyuncs.com)' }),
    capacity: capacitySchema(
      { cpu: '1000', memory: '4Ti', pods: '1000' },
      { cpu: 'ECI_QUOTA_CPU', memory: 'ECI_QUOTA_MEMORY', pods: 'ECI_QUOTA_POD' },
    ),
    statusIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5_000)
      .meta({ description: 'how often the groups are read (see refreshBySummary)' }),
    refreshBySummary: z
      .boolean()
      .default(true)
      .meta({
        description:
          'read DescribeContainerGroupStatus (200 groups a call) each round and describe only groups that ' +
          'changed or are starting; false: describe every group (20 a call)',
      }),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(300_000)
      .default(10_000)
      .meta({ description: 'time limit of one API request' }),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(4)
      .meta({ description: 'attempts per call: throttling (and 5xx of safe calls) is retried with backoff' }),
    logPollIntervalMs: z
      .number()
      .int()
      .min(200)
      .max(60_000)
      .default(1_000)
      .meta({ description: '`kubectl logs -f`: how often DescribeContainerLog is asked for new lines' }),
    exec: z
      .object({
        transport: enumSchema(['auto', 'websocket', 'sync'])
          .default('auto')
          .meta({
            description:
              'auto: the WebSocket session, or Sync when the caller takes no stdin, tty nor separate stderr; ' +
              'sync: Sync for every non-interactive command (stderr merged into stdout)',
          }),
        exitCodeSentinel: z
          .boolean()
          .default(true)
          .meta({
            description:
              'wrap commands in `sh -c \'"$@"; echo <nonce> $?\'` for their exit code when ECI reports none ' +
              '(needs sh in the image; the pod annotation eci.vkubelet.io/exec-sentinel: "false" turns it off)',
          }),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type EciConfig = z.output<typeof eciConfigSchema>;
export type EciConfigInput = z.input<typeof eciConfigSchema>;

/** The API endpoint: the config's, else the region's public one. */
export function eciEndpoint(config: Pick<EciConfig, 'endpoint' | 'region'>): string {
  return config.endpoint ?? `https://eci.${config.region}.aliyuncs.com`;
}
