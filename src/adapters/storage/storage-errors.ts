import { AppError } from '../../errors.ts';

/** The destination takes no writes: what readiness reports and the log shows, with the reason an operator acts on. */
export function destinationUnavailable(description: string, reason: string, cause: unknown): AppError {
  return new AppError({ status: 503, code: 'DESTINATION_UNAVAILABLE', detail: `${description} cannot be written: ${reason}`, cause });
}

export function rangeNotSatisfiable(key: string, size: number, cause?: unknown): AppError {
  return new AppError({
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
    detail: `The requested range starts beyond the end of ${key} (${size} bytes).`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The unfinished write a try meant to continue went away meanwhile (another try took it, or a clean-up): the next try copies whole. */
export function unfinishedGone(name: string): AppError {
  return new AppError({ status: 409, code: 'ABORTED', detail: `The unfinished copy of ${name} to continue is gone; it is copied again.` });
}
