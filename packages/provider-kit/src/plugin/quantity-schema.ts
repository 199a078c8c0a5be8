import { z } from 'zod';

import { parseQuantity } from '../quantity.js';

/**
 * A config field holding a Kubernetes quantity (`"250m"`, `"1.5Gi"`, `20`), parsed to its canonical
 * string; a bad value reads `expected a quantity, got "lots"`. With `positive`, zero is refused too.
 */
export function quantitySchema(options: { positive?: boolean } = {}) {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      let amount: number;
      try {
        amount = parseQuantity(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected a quantity, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      if (options.positive && !(amount > 0)) {
        ctx.addIssue({ code: 'custom', message: `must be greater than zero, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return String(value);
    })
    .meta({ format: 'quantity' });
}
