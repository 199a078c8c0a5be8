/**
 * Kubernetes resource quantities as numbers. A copy of the small parser in core's pod/env (not exported
 * by core's entry); client-node's quantityToScalar rejects fractional binary quantities like "1.5Gi".
 */
const MULTIPLIER: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = QUANTITY.exec(quantity.trim());
  const multiplier = match ? MULTIPLIER[match[3] ?? ''] : undefined;
  if (!match || multiplier === undefined) throw new TypeError(`invalid resource quantity "${quantity}"`);
  return match[2] ? Number(match[1]! + match[2]) : Number(match[1]) * multiplier;
}
