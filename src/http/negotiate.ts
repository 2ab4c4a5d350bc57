import type { Request } from 'express';

/**
 * HTML and JSON share routes; a client that prefers JSON gets JSON. Asking
 * for problem details (RFC 9457's application/problem+json) is asking for JSON.
 */
export function wantsJson(req: Request): boolean {
  const preferred = req.accepts(['html', 'json', 'application/problem+json']);
  return preferred === 'json' || preferred === 'application/problem+json';
}
