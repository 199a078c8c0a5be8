import { z } from 'zod';

import { InvalidInputError } from '../errdefs/index.js';

/** Provider operations the mock can slow down or fail on purpose. */
export const MOCK_OPERATIONS = [
  'createPod',
  'updatePod',
  'deletePod',
  'getPod',
  'getPodStatus',
  'getPods',
  'getContainerLogs',
  'runInContainer',
  'attachToContainer',
  'portForward',
  'getStatsSummary',
  'ping',
] as const;
export type MockOperation = (typeof MOCK_OPERATIONS)[number];

const quantity = z.union([z.string().min(1), z.number().nonnegative()]).transform(String);

const latencySchema = z.union([
  z.number().nonnegative(),
  z
    .object({ min: z.number().nonnegative(), max: z.number().nonnegative() })
    .refine(range => range.min <= range.max, 'latency min must not exceed max'),
]);

const injectedErrorSchema = z.object({
  /** The operation to fail; `*` (the default) is every operation. */
  operation: z.union([z.enum(MOCK_OPERATIONS), z.literal('*')]).default('*'),
  /** Probability in 0..1 that a call fails. */
  rate: z.number().min(0).max(1),
  /** Which errdefs class is thrown; `plain` is an unclassified Error. */
  kind: z.enum(['NotFound', 'Transient', 'InvalidInput', 'plain']).default('Transient'),
});

/** What a port does when it is forwarded to. */
export const portBehaviourSchema = z.enum(['echo', 'http', 'close']);
export type PortBehaviour = z.infer<typeof portBehaviourSchema>;

/**
 * The JSON-serialisable options of the mock: what `--provider-config` holds per node, and what
 * `new MockProvider()` takes besides the runtime objects. Upstream's keys (cpu, memory, pods, others,
 * providerID) sit at the top level so an upstream mock config file works unchanged.
 */
export const mockSettingsSchema = z
  .object({
    cpu: quantity.default('20'),
    memory: quantity.default('100Gi'),
    pods: quantity.default('20'),
    /** Extra extended resources, e.g. `{"nvidia.com/gpu": "4"}`. */
    others: z.record(z.string(), quantity).default({}),
    providerID: z.string().optional(),
    /** Time a pod stays Pending before its containers start. */
    startupDelayMs: z.number().nonnegative().default(20),
    /** Time before a container that exited is started again (restart policies). */
    restartDelayMs: z.number().nonnegative().default(50),
    /** How long a `flap` container runs before it fails again. */
    flapMs: z.number().positive().default(200),
    /** Added to every provider call: a fixed delay or a random one in [min, max]. */
    latencyMs: latencySchema.default(0),
    errors: z.array(injectedErrorSchema).default([]),
    /** With `false` the provider has no `notifyPods`, so core polls it. */
    notifier: z.boolean().default(true),
    /** Seed of the random numbers behind latency and injected errors (runs are repeatable). */
    seed: z.number().int().default(1),
    architecture: z.string().min(1).default('amd64'),
    /** Append a JSON line per createPod/deletePod call and first Running status to this file (benchmarks). */
    callLog: z.string().min(1).optional(),
    /** Per-port port-forward behaviour; other ports echo. */
    ports: z.record(z.string().regex(/^\d+$/, 'port keys must be numbers'), portBehaviourSchema).default({}),
  })
  .strict();

export type MockSettingsInput = z.input<typeof mockSettingsSchema>;
export type MockSettings = z.output<typeof mockSettingsSchema>;
export type InjectedError = z.output<typeof injectedErrorSchema>;

/** Validates mock settings, turning schema violations into one readable InvalidInputError. */
export function parseMockSettings(input: unknown, source = 'mock provider options'): MockSettings {
  const result = mockSettingsSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new InvalidInputError(`invalid ${source}:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** A provider-config file: `{"<nodeName>": {…settings}}`, as upstream's mock reads it. */
export const mockConfigFileSchema = z.record(z.string().min(1), mockSettingsSchema);
