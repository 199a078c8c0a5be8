import { z } from 'zod';

import { enumSchema } from '../plugin/enum-schema.js';
import { validateConfig } from '../plugin/load-config.js';
import { quantitySchema } from '../plugin/quantity-schema.js';

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

const quantity = quantitySchema();

const latencySchema = z.union([
  z.number().nonnegative(),
  z
    .object({ min: z.number().nonnegative(), max: z.number().nonnegative() })
    .refine(range => range.min <= range.max, 'latency min must not exceed max'),
]);

const injectedErrorSchema = z.object({
  /** The operation to fail; `*` (the default) is every operation. */
  operation: z.union([enumSchema(MOCK_OPERATIONS), z.literal('*')]).default('*'),
  /** Probability in 0..1 that a call fails. */
  rate: z.number().min(0).max(1),
  /** Which errdefs class is thrown; `plain` is an unclassified Error. */
  kind: enumSchema(['NotFound', 'Transient', 'InvalidInput', 'plain']).default('Transient'),
});

/** What a port does when it is forwarded to. */
export const portBehaviourSchema = enumSchema(['echo', 'http', 'close']);
export type PortBehaviour = z.infer<typeof portBehaviourSchema>;

/**
 * The JSON-serialisable options of the mock: what `--provider-config` holds per node, and what
 * `new MockProvider()` takes besides the runtime objects. Upstream's keys (cpu, memory, pods, others,
 * providerID) sit at the top level so an upstream mock config file works unchanged.
 */
export const mockSettingsSchema = z
  .object({
    cpu: quantity.default('20').meta({ description: 'node capacity (= allocatable)' }),
    memory: quantity.default('100Gi').meta({ description: 'node capacity (= allocatable)' }),
    pods: quantity.default('20').meta({ description: 'node capacity (= allocatable)' }),
    others: z
      .record(z.string(), quantity)
      .default({})
      .meta({ description: 'extended resources, e.g. `{"nvidia.com/gpu": "4"}`' }),
    providerID: z.string().optional().meta({ description: '`spec.providerID` of the node' }),
    startupDelayMs: z
      .number()
      .nonnegative()
      .default(20)
      .meta({ description: 'time a pod stays Pending before its containers start' }),
    restartDelayMs: z
      .number()
      .nonnegative()
      .default(50)
      .meta({ description: 'back-off before a container that exited is started again' }),
    flapMs: z.number().positive().default(200).meta({ description: 'run time of a `flap` container' }),
    latencyMs: latencySchema
      .default(0)
      .meta({ description: 'added to every call: a number of ms or `{min, max}`' }),
    errors: z.array(injectedErrorSchema).default([]).meta({
      description:
        "injected failures: `{operation: 'createPod'…'ping' or '*', rate: 0..1, kind: NotFound, Transient, InvalidInput or plain}`",
    }),
    notifier: z.boolean().default(true).meta({ description: '`false` removes `notifyPods`, so core polls' }),
    seed: z
      .number()
      .int()
      .default(1)
      .meta({ description: 'seeds latency and error injection (repeatable runs)' }),
    architecture: z
      .string()
      .min(1)
      .default('amd64')
      .meta({ description: 'node info and `kubernetes.io/arch`' }),
    callLog: z.string().min(1).optional().meta({
      description: 'append a JSON line per createPod/deletePod call and first Running status to this file',
    }),
    ports: z
      .record(z.string().regex(/^\d+$/, 'port keys must be numbers'), portBehaviourSchema)
      .default({})
      .meta({ description: 'per-port port-forward behaviour (`echo`, `http`, `close`); other ports echo' }),
  })
  .strict();

export type MockSettingsInput = z.input<typeof mockSettingsSchema>;
export type MockSettings = z.output<typeof mockSettingsSchema>;
export type InjectedError = z.output<typeof injectedErrorSchema>;

/** Validates mock settings, turning schema violations into one readable InvalidInputError. */
export function parseMockSettings(input: unknown, source = 'mock provider options'): MockSettings {
  return validateConfig(mockSettingsSchema, input ?? {}, source);
}

/**
 * A provider-config file: `{"<nodeName>": {…settings}}`, as upstream's mock reads it. A file without
 * an entry for the node means the defaults.
 */
export const mockConfigFileSchema = z.record(z.string().min(1), mockSettingsSchema);
