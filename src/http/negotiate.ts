import type { Request } from 'express';

/** HTML and JSON share routes; a client that prefers application/json gets JSON. */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}
