import { z } from 'zod';

import { quantitySchema } from './quantity-schema.js';

type CapacityKey = 'cpu' | 'memory' | 'pods';

/**
 * The `capacity` section of a cloud provider's config: what its node advertises (a cloud has no
 * fixed size; the numbers bound what the scheduler sends), each a positive quantity with a default
 * and optionally an environment variable.
 */
export function capacitySchema(
  defaults: Readonly<Record<CapacityKey, string>>,
  env: Readonly<Partial<Record<CapacityKey, string>>> = {},
) {
  const field = (key: CapacityKey) =>
    quantitySchema({ positive: true })
      .default(defaults[key])
      .meta({ ...(env[key] ? { env: env[key] } : {}), description: 'what the node advertises' });
  return z
    .object({ cpu: field('cpu'), memory: field('memory'), pods: field('pods') })
    .strict()
    .prefault({});
}
