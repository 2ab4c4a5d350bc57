/**
 * The logger of the work in progress, carried by AsyncLocalStorage: a request
 * runs with its request logger (request id included), a background job with
 * one naming the job. Domain code asks for it here instead of taking `req`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

const current = new AsyncLocalStorage<Logger>();

export function runWithLogger<T>(logger: Logger, work: () => T): T {
  return current.run(logger, work);
}

/** The logger of the request or job running now, else `fallback`. */
export function logFor(fallback: Logger): Logger {
  return current.getStore() ?? fallback;
}
