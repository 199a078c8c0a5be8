/** A flag value or environment variable that makes no sense: reported with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
