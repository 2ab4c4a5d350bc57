/**
 * Retries for Google calls: only idempotent methods (GET, DELETE), only on
 * 429, 5xx and network errors, with exponential backoff and full jitter,
 * honouring Retry-After. A timeout is not retried: the caller's time budget
 * (UPSTREAM_TIMEOUT_MS) is already spent.
 */
import type { OAuth2ClientOptions } from 'google-auth-library';
import { isTimeout, retryAfterSeconds } from './google-error.ts';

/** gaxios's types, reached through google-auth-library (gaxios itself is not our dependency). */
type RetryConfig = NonNullable<NonNullable<OAuth2ClientOptions['transporterOptions']>['retryConfig']>;
type GaxiosError = Parameters<NonNullable<RetryConfig['shouldRetry']>>[0];

export const MAX_RETRIES = 2;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;

export interface RetryObserver {
  (method: string, attempt: number): void;
}

function retryable(error: GaxiosError): boolean {
  const config = error.config?.retryConfig;
  const attempt = config?.currentRetryAttempt ?? 0;
  const methods = config?.httpMethodsToRetry ?? ['GET', 'DELETE'];
  const method = (error.config?.method ?? 'GET').toUpperCase();
  if (attempt >= (config?.retry ?? MAX_RETRIES) || !methods.includes(method)) return false;
  if (isTimeout(error) || error.config?.signal?.aborted) return false;
  const status = error.response?.status;
  if (status === undefined) return true; // connection refused or reset
  return status === 429 || status >= 500;
}

export function backoffDelayMs(attempt: number, retryAfter: number | undefined, random = Math.random): number {
  if (retryAfter !== undefined) return Math.min(retryAfter * 1000, MAX_DELAY_MS);
  return Math.round(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

export function retryConfig(onRetry?: RetryObserver): RetryConfig {
  return {
    retry: MAX_RETRIES,
    noResponseRetries: MAX_RETRIES,
    httpMethodsToRetry: ['GET', 'DELETE'],
    statusCodesToRetry: [[429, 429], [500, 599]],
    shouldRetry: (error) => retryable(error),
    retryBackoff: async (error) => {
      const attempt = error.config?.retryConfig?.currentRetryAttempt ?? 0;
      onRetry?.((error.config?.method ?? 'GET').toUpperCase(), attempt);
      const delay = backoffDelayMs(attempt, retryAfterSeconds(error.response?.headers));
      await new Promise((resolve) => setTimeout(resolve, delay));
    },
  };
}
