/**
 * Retries for Google calls (gaxios's for OAuth, the Picker client's own): only idempotent methods (GET, DELETE), only on
 * 429, 5xx and network errors, with exponential backoff and full jitter,
 * honouring Retry-After. A timeout is not retried: the caller's time budget
 * (UPSTREAM_TIMEOUT_MS) is already spent.
 */
import type { OAuth2ClientOptions } from 'google-auth-library';
import { isTimeout, retryAfterSeconds } from './google-error.ts';

/** gaxios's types, reached through google-auth-library (gaxios itself is not our dependency). */
type RetryConfig = NonNullable<NonNullable<OAuth2ClientOptions['transporterOptions']>['retryConfig']>;
type GaxiosError = Parameters<NonNullable<RetryConfig['shouldRetry']>>[0];

const MAX_RETRIES = 2;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;
/**
 * Fixed here rather than read from the call's retryConfig: google-auth-library
 * merges its own list (with POST) into its token calls, and a sign-in code
 * is good for one exchange only.
 */
const RETRIED_METHODS = ['GET', 'DELETE'];

export interface RetryObserver {
  (method: string, attempt: number): void;
}

/** Whether a failed attempt is worth another: `status` is Google's answer, absent when none came (refused, reset). */
export function shouldRetry(method: string, attempt: number, status: number | undefined, error?: unknown): boolean {
  if (attempt >= MAX_RETRIES || !RETRIED_METHODS.includes(method.toUpperCase()) || (error !== undefined && isTimeout(error))) return false;
  return status === undefined || status === 429 || status >= 500;
}

function retryable(error: GaxiosError): boolean {
  const attempt = error.config?.retryConfig?.currentRetryAttempt ?? 0;
  return shouldRetry(error.config?.method ?? 'GET', attempt, error.response?.status, error);
}

/** Waits before another attempt, telling the observer. */
export async function pauseBeforeRetry(method: string, attempt: number, headers: unknown, onRetry?: RetryObserver): Promise<void> {
  onRetry?.(method.toUpperCase(), attempt);
  await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, retryAfterSeconds(headers))));
}

export function backoffDelayMs(attempt: number, retryAfter: number | undefined, random = Math.random): number {
  if (retryAfter !== undefined) return Math.min(retryAfter * 1000, MAX_DELAY_MS);
  return Math.round(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

export function retryConfig(onRetry?: RetryObserver): RetryConfig {
  return {
    shouldRetry: retryable,
    retryBackoff: (error) =>
      pauseBeforeRetry(error.config?.method ?? 'GET', error.config?.retryConfig?.currentRetryAttempt ?? 0, error.response?.headers, onRetry),
  };
}
