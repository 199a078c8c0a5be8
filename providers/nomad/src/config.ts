import { enumSchema } from '@vkubelet/provider-kit';
import { z } from 'zod';

import { DRIVERS, NETWORK_MODES } from './mapping/job.js';

/**
 * The provider config file (`--provider-config`, YAML or JSON). The connection fields default to the
 * NOMAD_* variables the Nomad CLI reads, so a node configured like the CLI needs no file at all.
 */
export const nomadConfigSchema = z
  .object({
    address: z
      .url({ protocol: /^https?$/, error: 'must be an http(s):// URL of a Nomad agent' })
      .default('http://127.0.0.1:4646')
      .meta({ env: 'NOMAD_ADDR', description: 'the Nomad agent (HTTP API) the provider talks to' }),
    token: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'NOMAD_TOKEN', description: 'ACL token, sent as X-Nomad-Token on every request' }),
    namespace: z
      .string()
      .min(1)
      .default('default')
      .meta({ env: 'NOMAD_NAMESPACE', description: "namespace of the pods' jobs" }),
    region: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'NOMAD_REGION', description: "region of the pods' jobs (default: the agent's)" }),
    caCert: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'NOMAD_CACERT', description: "CA certificate file that verifies the agent's HTTPS" }),
    clientCert: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'NOMAD_CLIENT_CERT', description: 'client certificate file (mutual TLS)' }),
    clientKey: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'NOMAD_CLIENT_KEY', description: "the client certificate's key file" }),
    tlsServerName: z
      .string()
      .min(1)
      .optional()
      .meta({ env: 'NOMAD_TLS_SERVER_NAME', description: "name to verify the agent's certificate for" }),
    tlsSkipVerify: z.boolean().default(false).meta({
      env: 'NOMAD_SKIP_VERIFY',
      description: "do not verify the agent's certificate (testing only)",
    }),
    datacenters: z.array(z.string().min(1)).min(1).default(['*']).meta({
      description:
        'datacenters of the jobs (globs); the pod annotation nomad.hashicorp.com/datacenters overrides them',
    }),
    nodePool: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "node pool of the jobs (default: Nomad's `default`; `all` for any)" }),
    driver: enumSchema(DRIVERS).default('docker').meta({
      description: 'task driver of containers; the annotation nomad.vkubelet.io/driver overrides it',
    }),
    networkMode: enumSchema(NETWORK_MODES).default('bridge').meta({
      description:
        'bridge: an address per pod, containers share localhost (clients need the CNI plugins); host: the client network',
    }),
    cpuMHzPerCore: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "MHz a Kubernetes CPU is worth (default: the slowest client's MHz per core)" }),
    exclusiveCores: z.boolean().default(false).meta({
      description: 'whole-core CPU with request = limit reserves Nomad `cores` instead of MHz',
    }),
    jobPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be 1-31 lowercase letters, digits or hyphens')
      .default('vk')
      .meta({ description: 'job IDs are `<prefix>.<namespace>.<pod>`; one prefix per cluster' }),
    priority: z.number().int().min(1).max(100).default(50).meta({ description: 'priority of the jobs' }),
    restart: z
      .object({
        attempts: z
          .number()
          .int()
          .min(1)
          .default(5)
          .meta({ description: 'restarts of a container within one interval' }),
        intervalMs: z
          .number()
          .int()
          .min(5_000, 'Nomad needs at least 5 s')
          .default(300_000)
          .meta({ description: 'the restart interval; past `attempts`, a container waits for the next' }),
        delayMs: z.number().int().min(0).default(10_000).meta({ description: 'wait before each restart' }),
      })
      .strict()
      .prefault({})
      .refine(restart => restart.attempts * restart.delayMs <= restart.intervalMs, {
        message: 'attempts × delayMs must fit in intervalMs (Nomad refuses the job otherwise)',
      }),
    pods: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'pods the node advertises (default: 110 per eligible Nomad client)' }),
    blockingWaitMs: z
      .number()
      .int()
      .min(1_000)
      .max(600_000)
      .default(300_000)
      .meta({ description: 'how long Nomad may hold a blocking query (status is pushed, not polled)' }),
  })
  .strict()
  .refine(config => (config.clientCert === undefined) === (config.clientKey === undefined), {
    message: 'clientCert and clientKey go together (NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY)',
    path: ['clientKey'],
  });

export type NomadConfig = z.output<typeof nomadConfigSchema>;
export type NomadConfigInput = z.input<typeof nomadConfigSchema>;
