/**
 * The message of anything thrown: an Error's `message`, anything else as a string. The one way to
 * read a caught value's message (`catch (err)` gives `unknown`; `(err as Error).message` is
 * `undefined` for a thrown string).
 */
export function errorMessage(err: unknown): string {
  // eslint-disable-next-line no-restricted-syntax -- the one place that reads it
  return err instanceof Error ? err.message : String(err);
}
