/** An error the user caused (unknown namespace, bad option value): printed as one line, exit code 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
