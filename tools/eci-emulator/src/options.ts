import { z } from 'zod';

import { DEFAULT_TIMING } from './groups/timing.js';

const milliseconds = z.number().nonnegative();

export const eciEmulatorOptionsSchema = z
  .object({
    /** Address to listen on; default loopback. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port; default a free one. */
    port: z.number().int().min(0).max(65535).default(0),
    regionId: z
      .string()
      .regex(/^[a-z]+(-[a-z0-9]+)+$/, 'a region ID looks like cn-hangzhou')
      .default('cn-hangzhou'),
    /** Zones of the region; default `<region>-h`, `<region>-i`, `<region>-j`. */
    zones: z.array(z.string().min(1)).min(1).optional(),
    /** The permanent AccessKey pair; random when absent. */
    accessKeyId: z.string().min(1).optional(),
    accessKeySecret: z.string().min(1).optional(),
    /** Also accept a temporary (STS) key with its SecurityToken; each field random when absent. */
    sts: z
      .union([
        z.boolean(),
        z
          .object({
            accessKeyId: z.string().min(1).optional(),
            accessKeySecret: z.string().min(1).optional(),
            securityToken: z.string().min(1).optional(),
            expiresAt: z.date().optional(),
          })
          .strict(),
      ])
      .default(false),
    /** How far a request's Timestamp may be from the emulator's clock (the gateway allows 15 minutes). */
    timestampSkewMs: milliseconds.default(15 * 60 * 1000),
    /** When given, the only vSwitch / security group IDs that exist. */
    vSwitchIds: z.array(z.string().min(1)).min(1).optional(),
    securityGroupIds: z.array(z.string().min(1)).min(1).optional(),
    timing: z
      .object({
        schedulingMs: milliseconds,
        pendingMs: milliseconds,
        restartBackoffMs: milliseconds,
        restartingMs: milliseconds,
        updatingMs: milliseconds,
        execSessionMs: milliseconds,
        syncExecTimeoutMs: milliseconds,
      })
      .partial()
      .strict()
      .default({}),
  })
  .strict();

export type EciEmulatorOptions = z.input<typeof eciEmulatorOptionsSchema>;
type ParsedOptions = z.output<typeof eciEmulatorOptionsSchema>;

export function parseEciEmulatorOptions(
  input: EciEmulatorOptions,
): ParsedOptions & { timing: typeof DEFAULT_TIMING } {
  const result = eciEmulatorOptionsSchema.safeParse(input);
  if (!result.success) throw new Error(`invalid ECI emulator options:\n${z.prettifyError(result.error)}`);
  return { ...result.data, timing: { ...DEFAULT_TIMING, ...result.data.timing } };
}
