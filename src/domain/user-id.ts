/**
 * The gateway's id of a person: opaque and stable, derived from the Google
 * account id (`sub`), never the email (which a person can change, and which
 * must not appear in storage paths or Redis keys).
 */
import { createHash } from 'node:crypto';
import type { UserId } from './ports.ts';

export function userIdFor(googleSub: string): UserId {
  return createHash('sha256').update(`google-account:${googleSub}`).digest('base64url').slice(0, 22);
}
