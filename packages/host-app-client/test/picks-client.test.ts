import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  GatewayError, GatewayUnavailableError, GatewayUnreachableError, NotFoundError, PicksClient, RangeNotSatisfiableError, UnauthenticatedError,
} from '@photos-picker-gateway/host-app-client';
import { startStandInServer, type StandInServer } from '../../../test/helpers/stand-in-server.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const PICK = 'p'.repeat(22);
const pickBody = { id: PICK, app: 'shop', sub: 'customer-1', state: null, status: 'done', createdAt: '2026-12-07T12:00:00.000Z', completedAt: '2026-12-07T12:01:00.000Z', items: [], webhook: { status: 'none', attempts: 0, lastError: null } };
const problem = (status: number, code: string) => ({ type: 'about:blank', title: code, status, detail: `${code} detail`, code, requestId: 'req-1' });

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

describe('PicksClient', () => {
  let server: StandInServer;
  /** What the stand-in gateway answers, one per request, in order; the last repeats. */
  let answers: Answer[];
  let seen: IncomingMessage[];
  /** The waits the client asked for, in ms: a clock of the test's own, so no test sleeps. */
  let waits: number[];

  before(async () => {
    server = await startStandInServer((req, res) => {
      seen.push(req);
      (answers.length > 1 ? answers.shift()! : answers[0]!)(req, res);
    });
  });
  after(() => server.close());
  beforeEach(() => {
    answers = [];
    seen = [];
    waits = [];
  });

  const client = (retry = {}) => new PicksClient({ gatewayUrl: `${server.base}/`, secret, retry, sleep: async (ms) => void waits.push(ms) });
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (_req, res) =>
    void res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers }).end(JSON.stringify(body));

  it('when it reads a pick, then it sends the secret as a bearer token to /api/v1/picks/{pick} and answers the body', async () => {
    answers = [json(200, pickBody)];
    assert.deepEqual(await client().get(PICK), pickBody);
    assert.equal(seen[0]!.url, `/api/v1/picks/${PICK}`);
    assert.equal(seen[0]!.headers.authorization, `Bearer ${secret}`);
  });

  it('when the gateway answers 503 and then 200, then it tries again after a backoff and answers the pick', async () => {
    answers = [json(503, problem(503, 'SERVICE_UNAVAILABLE')), json(502, {}), json(200, pickBody)];
    assert.equal((await client({ baseDelayMs: 100 }).get(PICK)).id, PICK);
    assert.equal(seen.length, 3);
    assert.equal(waits.length, 2);
    assert.ok(waits[0]! <= 100 && waits[1]! <= 200, `backoff with full jitter under a doubling ceiling: ${waits.join(', ')}`);
  });

  it('when the gateway answers 429 with Retry-After, then it waits what it was asked (seconds or a date)', async () => {
    const inTwoSeconds = new Date(Date.now() + 2_000).toUTCString();
    answers = [json(429, problem(429, 'RATE_LIMITED'), { 'retry-after': '3' }), json(503, {}, { 'retry-after': inTwoSeconds }), json(200, pickBody)];
    await client().get(PICK);
    assert.equal(waits[0], 3_000);
    assert.ok(waits[1]! > 0 && waits[1]! <= 2_000, String(waits[1]));
  });

  it('when Retry-After is longer than the client waits, then it gives up at once with the wait asked for', async () => {
    answers = [json(503, problem(503, 'SERVICE_UNAVAILABLE'), { 'retry-after': '3600' })];
    await assert.rejects(client({ maxDelayMs: 10_000 }).get(PICK), (error: unknown) => {
      assert.ok(error instanceof GatewayUnavailableError);
      assert.equal(error.status, 503);
      assert.equal(error.code, 'SERVICE_UNAVAILABLE');
      assert.equal(error.retryAfterSeconds, 3600);
      return true;
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(waits, []);
  });

  it('when the gateway keeps failing, then it stops after its retries with a typed error', async () => {
    answers = [json(500, problem(500, 'INTERNAL'))];
    await assert.rejects(client({ retries: 2 }).get(PICK), GatewayUnavailableError);
    assert.equal(seen.length, 3);
  });

  it('when nothing answers, then it tries again and throws GatewayUnreachableError', async () => {
    const gone = await startStandInServer(() => undefined);
    const url = gone.base;
    gone.close();
    const unreachable = new PicksClient({ gatewayUrl: url, secret, retry: { retries: 1 }, sleep: async (ms) => void waits.push(ms) });
    await assert.rejects(unreachable.get(PICK), GatewayUnreachableError);
    assert.equal(waits.length, 1);
  });

  for (const [status, code, type] of [[401, 'UNAUTHENTICATED', UnauthenticatedError], [404, 'NOT_FOUND', NotFoundError], [400, 'INVALID_ARGUMENT', GatewayError]] as const) {
    it(`when the gateway answers ${status} with problem details, then it throws ${type.name} with the problem's code at once`, async () => {
      answers = [json(status, problem(status, code))];
      await assert.rejects(client().get(PICK), (error: unknown) => {
        assert.ok(error instanceof type);
        assert.equal(error.status, status);
        assert.equal(error.code, code);
        assert.equal(error.requestId, 'req-1');
        return true;
      });
      assert.equal(seen.length, 1, 'not retried');
    });
  }

  it('when the gateway redirects, then the redirect is not followed (it would carry the secret)', async () => {
    answers = [(_req, res) => void res.writeHead(307, { location: `${server.base}/elsewhere` }).end()];
    await assert.rejects(client().get(PICK), (error: unknown) => error instanceof GatewayError && error.status === 307);
    assert.deepEqual(seen.map((req) => req.url), [`/api/v1/picks/${PICK}`]);
  });

  it('when it asks for a range of an item, then it sends Range and answers a web stream of those bytes with the range', async () => {
    const bytes = randomBytes(100);
    answers = [(req, res) => {
      assert.equal(req.headers.range, 'bytes=10-19');
      res.writeHead(206, { 'content-type': 'image/jpeg', 'content-length': '10', 'content-range': 'bytes 10-19/100' }).end(bytes.subarray(10, 20));
    }];
    const content = await client().content(PICK, 'item/1', { range: { start: 10, end: 19 } });
    assert.equal(seen[0]!.url, `/api/v1/picks/${PICK}/items/item%2F1/content`);
    assert.equal(content.status, 206);
    assert.equal(content.contentType, 'image/jpeg');
    assert.equal(content.contentLength, 10);
    assert.deepEqual(content.contentRange, { start: 10, end: 19, size: 100 });
    assert.ok(content.body instanceof ReadableStream);
    assert.deepEqual(Buffer.from(await new Response(content.body).arrayBuffer()), bytes.subarray(10, 20));
  });

  it('when the range starts past the end, then it throws RangeNotSatisfiableError with the item\'s size', async () => {
    answers = [(_req, res) => void res.writeHead(416, { 'content-range': 'bytes */100' }).end()];
    await assert.rejects(client().content(PICK, 'item-1', { range: 'bytes=500-' }), (error: unknown) => error instanceof RangeNotSatisfiableError && error.size === 100);
  });
});
