import { quantitySchema } from '@vkubelet/provider-kit';
import { z } from 'zod';

const socketPath = z
  .string()
  .min(1)
  .refine(
    value => value.startsWith('/') || value.startsWith('unix://'),
    'must be an absolute socket path or unix:// URL',
  );

/** The provider config file (`--provider-config`, YAML or JSON). Every field has a default. */
export const criConfigSchema = z
  .object({
    runtimeEndpoint: socketPath
      .default('unix:///run/containerd/containerd.sock')
      .meta({ description: 'CRI RuntimeService socket' }),
    imageEndpoint: socketPath
      .optional()
      .meta({ description: 'CRI ImageService socket; the runtime endpoint when absent' }),
    podRoot: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .default('/var/lib/vkubelet-cri/pods')
      .meta({ description: 'per-pod directories (volumes, container logs) live in `<podRoot>/<pod uid>/`' }),
    cgroupParent: z
      .string()
      .default('/vkubelet')
      .meta({ description: 'cgroup parent of every sandbox (cgroupfs driver: a path such as /vkubelet)' }),
    runtimeHandler: z
      .string()
      .default('')
      .meta({ description: "CRI runtime handler (RuntimeClass); empty for the runtime's default" }),
    statusIntervalMs: z.number().int().min(100).max(60_000).default(1_000).meta({
      description: 'how often every pod is synced with the runtime (container events sync at once)',
    }),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .default(120_000)
      .meta({ description: 'deadline of one CRI call' }),
    maxPods: z.number().int().positive().default(110).meta({ description: 'pods the node advertises' }),
    reserved: z
      .object({
        cpu: quantitySchema()
          .default('100m')
          .meta({ description: "taken off the host's CPUs before they are published as allocatable" }),
        memory: quantitySchema()
          .default('256Mi')
          .meta({ description: "taken off the host's memory before it is published as allocatable" }),
      })
      .strict()
      .prefault({}),
    clusterDNS: z
      .array(z.string())
      .default([])
      .meta({ description: 'nameservers for pods with dnsPolicy ClusterFirst (the cluster DNS Service IP)' }),
    backoff: z
      .object({
        initialMs: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .meta({ description: 'first crash back-off (kubelet: 10 s, doubling)' }),
        maxMs: z
          .number()
          .int()
          .positive()
          .default(300_000)
          .meta({ description: 'longest crash back-off (kubelet: 5 min)' }),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type CriConfig = z.output<typeof criConfigSchema>;
