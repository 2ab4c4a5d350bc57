/** Hooks through which Google calls report to metrics, without the Google modules knowing about Prometheus. */
import { AppError } from '../../errors.ts';

export interface GoogleInstrumentation {
  onCall(method: string, outcome: string, seconds: number): void;
  onRetry(method: string, attempt: number): void;
}

export const noInstrumentation: GoogleInstrumentation = { onCall: () => {}, onRetry: () => {} };

/** Runs one Google call and reports its duration with outcome "ok" or the error's code. */
export async function timed<T>(instrumentation: GoogleInstrumentation, method: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    instrumentation.onCall(method, 'ok', (performance.now() - started) / 1000);
    return result;
  } catch (error) {
    const outcome = error instanceof AppError ? error.code : 'error';
    instrumentation.onCall(method, outcome, (performance.now() - started) / 1000);
    throw error;
  }
}
