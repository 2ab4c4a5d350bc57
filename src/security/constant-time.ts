/**
 * Comparing secrets (CSRF tokens, OAuth state, API keys) without telling an
 * attacker, through the time it takes, how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** True when both strings are equal. Compares SHA-256 digests, so neither the content nor the lengths leak. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
