import { readFile } from 'node:fs/promises';

import { InvalidInputError } from '@vkubelet/provider-kit';
import { z } from 'zod';

const socketPath = z
  .string()
  .min(1)
  .refine(
    value => value.startsWith('/') || value.startsWith('unix://'),
    'must be an absolute socket path or unix:// URL',
  );

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity such as 500m or 1Gi');

/** The provider config file (`--provider-config`, JSON). Every field has a default. */
export const criConfigSchema = z
  .object({
    /** CRI RuntimeService socket. */
    runtimeEndpoint: socketPath.default('unix:///run/containerd/containerd.sock'),
    /** CRI ImageService socket; the runtime endpoint when absent. */
    imageEndpoint: socketPath.optional(),
    /** Per-pod directories (volumes, container logs) live in `<podRoot>/<pod uid>/`. */
    podRoot: z.string().startsWith('/', 'must be an absolute path').default('/var/lib/vkubelet-cri/pods'),
    /** cgroup parent of every sandbox (cgroupfs driver: a path such as /vkubelet). */
    cgroupParent: z.string().default('/vkubelet'),
    /** CRI runtime handler (RuntimeClass); empty for the runtime's default. */
    runtimeHandler: z.string().default(''),
    /** How often pod and container state is polled when the runtime sends no events. */
    statusIntervalMs: z.number().int().min(100).max(60_000).default(1_000),
    /** Deadline of one CRI call. */
    requestTimeoutMs: z.number().int().min(1_000).default(120_000),
    /** Pods the node advertises. */
    maxPods: z.number().int().positive().default(110),
    /** Taken off the host's CPUs and memory before they are published as allocatable. */
    reserved: z
      .object({ cpu: quantity.default('100m'), memory: quantity.default('256Mi') })
      .strict()
      .default({ cpu: '100m', memory: '256Mi' }),
    /** Nameservers and search domains for pods with dnsPolicy ClusterFirst (e.g. the cluster DNS Service IP). */
    clusterDNS: z.array(z.string()).default([]),
    /** Initial and maximum crash back-off (kubelet: 10 s doubling to 5 min). */
    backoff: z
      .object({
        initialMs: z.number().int().positive().default(10_000),
        maxMs: z.number().int().positive().default(300_000),
      })
      .strict()
      .default({ initialMs: 10_000, maxMs: 300_000 }),
  })
  .strict();

export type CriConfig = z.infer<typeof criConfigSchema>;

/** Validates a parsed config object; errors name every bad field. */
export function parseCriConfig(input: unknown, source = 'CRI provider config'): CriConfig {
  const result = criConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(
      issue => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidInputError(`${source} is invalid: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Reads and validates the JSON config file; no path means all defaults. */
export async function loadCriConfig(path: string | undefined): Promise<CriConfig> {
  if (!path) return parseCriConfig({});
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read CRI provider config ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `CRI provider config ${path} is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return parseCriConfig(json, `CRI provider config ${path}`);
}
