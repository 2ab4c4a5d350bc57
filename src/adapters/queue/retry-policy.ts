/** How both queues retry a job whose handler throws, so they behave alike. */

/** The first retry's wait when the caller names none; each later one doubles it. */
export const DEFAULT_BACKOFF_MS = 1_000;

/** The wait before the attempt after `failedAttempt` (1-based): backoffMs, then twice that, and so on. */
export function backoffDelay(backoffMs: number, failedAttempt: number): number {
  return backoffMs * 2 ** (failedAttempt - 1);
}
