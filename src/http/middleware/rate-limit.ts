/**
 * Limits from the contract: sign-ins started per client IP per 15 minutes,
 * Picker sessions created per signed-in user per minute. Answers 429 with
 * Retry-After and the standard RateLimit headers. With Redis the counters
 * are shared by every replica.
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo, type Store } from 'express-rate-limit';
import { AppError } from '../../errors.ts';

export interface LimiterOptions {
  name: string;
  windowMs: number;
  limit: number;
  key: 'ip' | 'user';
  store?: Store;
}

function clientKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

export function createLimiter(options: LimiterOptions): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: options.name,
    ...(options.store ? { store: options.store } : {}),
    keyGenerator: (req) =>
      options.key === 'user' && req.session?.user ? `user:${req.session.user.id}` : `ip:${clientKey(req)}`,
    handler: (req, _res, next) => {
      const resetAt = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime?.getTime();
      const retryAfterSeconds = Math.max(1, Math.ceil(((resetAt ?? Date.now() + options.windowMs) - Date.now()) / 1000));
      next(new AppError({ status: 429, code: 'RATE_LIMITED', detail: 'Too many requests; try again later.', retryAfterSeconds }));
    },
  });
}
