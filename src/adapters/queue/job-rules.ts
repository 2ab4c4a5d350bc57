/** What both job queues do alike: how they retry, and how they refuse. */
import { AppError } from '../../errors.ts';

/** The first retry's wait when the caller names none; each later one doubles it. */
export const DEFAULT_BACKOFF_MS = 1_000;

/** The wait before the attempt after `failedAttempt` (1-based): backoffMs, then twice that, and so on. */
export function backoffDelay(backoffMs: number, failedAttempt: number): number {
  return backoffMs * 2 ** (failedAttempt - 1);
}

/** A job that cannot be queued now (shutting down, Redis away): the caller may try again shortly. */
export const queueUnavailable = (name: string, cause?: unknown) =>
  new AppError({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: `The job queue cannot take the job ${name} now; try again shortly.`, cause });

/** Two handlers for one job name is a wiring mistake: each job must have exactly one meaning. */
export const handlerTaken = (name: string) =>
  new AppError({ status: 500, code: 'INTERNAL', detail: `Jobs named ${name} already have a handler.` });
