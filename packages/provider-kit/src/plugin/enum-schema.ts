import { z } from 'zod';

/** The values of an `enumSchema`, keyed by themselves, in the order they were given. */
export type EnumValues<Values extends readonly string[]> = { readonly [Value in Values[number]]: Value };

/**
 * `z.enum(values)` for config schemas of published packages. `z.enum`'s inferred type is an object
 * mapped over a union of string literals, which TypeScript prints in the order it first met each
 * literal anywhere in the program: the declarations (and so the API reports) change from one build to
 * the next. This type keeps the values as the tuple they were written as.
 */
export function enumSchema<const Values extends readonly [string, ...string[]]>(
  values: Values,
): z.ZodEnum<EnumValues<Values>> {
  return z.enum(values);
}
