import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toGoogleAppError } from '../../../src/adapters/google/google-error.ts';

/** What gaxios throws for an answer Google refused. */
const answered = (status: number, data?: unknown, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`Request failed with status code ${status}`), { response: { status, data, headers: new Headers(headers) } });

const mapped = (error: unknown) => {
  const e = toGoogleAppError(error, 'sessions.get');
  return { status: e.status, code: e.code, messageKey: e.messageKey };
};

describe('Google errors', () => {
  for (const [status, googleStatus] of [[500, 'INTERNAL'], [503, 'UNAVAILABLE'], [504, 'DEADLINE_EXCEEDED'], [500, undefined], [599, undefined]] as const) {
    it(`when Google answers ${status} ${googleStatus ?? 'without an envelope'}, then 502 that says Google is unavailable, keeping Google's status name`, () => {
      const body = googleStatus ? { error: { code: status, status: googleStatus, message: 'Internal error encountered.' } } : undefined;
      assert.deepEqual(mapped(answered(status, body)), {
        status: 502,
        code: googleStatus ?? (status === 500 ? 'INTERNAL' : 'UNAVAILABLE'),
        messageKey: 'error.googleUnavailable',
      });
    });
  }

  for (const [googleStatus, status, messageKey] of [
    ['INVALID_ARGUMENT', 400, 'error.badRequest'],
    ['FAILED_PRECONDITION', 409, 'error.notDone'],
    ['UNAUTHENTICATED', 401, 'error.signedOutByGoogle'],
    ['PERMISSION_DENIED', 403, 'error.permissionDenied'],
    ['NOT_FOUND', 404, 'error.notFound'],
  ] as const) {
    it(`when Google answers ${googleStatus}, then ${status} with its own explanation`, () => {
      assert.deepEqual(mapped(answered(status, { error: { code: status, status: googleStatus } })), { status, code: googleStatus, messageKey });
    });
  }

  it('when Google answers RESOURCE_EXHAUSTED, then 429 with its Retry-After, or 30 seconds without one', () => {
    const envelope = { error: { code: 429, status: 'RESOURCE_EXHAUSTED' } };
    assert.equal(toGoogleAppError(answered(429, envelope, { 'retry-after': '7' }), 'sessions.create').retryAfterSeconds, 7);
    const without = toGoogleAppError(answered(429, envelope), 'sessions.create');
    assert.equal(without.status, 429);
    assert.equal(without.retryAfterSeconds, 30);
  });

  it('when a call times out (gaxios wraps the TimeoutError), then 504 that says Google is taking too long', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    assert.deepEqual(mapped(Object.assign(new Error('aborted'), { code: 'TimeoutError', cause: timeout })), {
      status: 504, code: 'DEADLINE_EXCEEDED', messageKey: 'error.googleTimeout',
    });
    const deepInside = new Error('wrapper', { cause: new TypeError('fetch failed', { cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }) }) });
    assert.equal(mapped(deepInside).status, 504);
  });

  it('when Google cannot be reached, then 502 that says Google is unavailable', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    assert.deepEqual(mapped(refused), { status: 502, code: 'UNAVAILABLE', messageKey: 'error.googleUnavailable' });
  });
});
