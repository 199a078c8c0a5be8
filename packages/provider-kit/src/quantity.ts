/**
 * Kubernetes resource quantities ("250m", "1.5Gi", "1e3") as numbers. client-node's
 * `quantityToScalar` rejects fractional binary quantities ("1.5Gi") and exponents, which the API
 * server accepts, so this small parser covers the full canonical grammar instead.
 */
const SUFFIX_MULTIPLIER: Record<string, number> = {
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

/** The value of `quantity`; throws a TypeError naming the input when it is not a quantity. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new TypeError(`invalid resource quantity "${quantity}"`);
  const [, digits = '0', exponent, suffix = ''] = match;
  if (exponent) return Number(digits + exponent);
  const multiplier = SUFFIX_MULTIPLIER[suffix];
  if (multiplier === undefined) throw new TypeError(`invalid resource quantity "${quantity}"`);
  return Number(digits) * multiplier;
}
