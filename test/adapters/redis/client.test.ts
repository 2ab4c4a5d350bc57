import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { openRedis, type RedisConnection } from '../../../src/adapters/redis/client.ts';
import { isStoreUnavailable } from '../../../src/errors.ts';
import { PrivateRedis } from '../../helpers/redis.ts';

/** Retries a GET until it succeeds; real reconnects take real time. */
async function answersAgain(connection: RedisConnection): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await connection.client.get('k').then(() => true, () => false)) return true;
    await sleep(100);
  }
  return false;
}

interface Outcome {
  ms: number;
  error?: unknown;
}

/** Sends a GET every `everyMs` for `forMs`, as a gateway under steady traffic would, and records how each ended. */
async function steadyTraffic(connection: RedisConnection, everyMs: number, forMs: number): Promise<Outcome[]> {
  const outcomes: Array<Promise<Outcome>> = [];
  const until = performance.now() + forMs;
  while (performance.now() < until) {
    const sent = performance.now();
    const settled = connection.client.get('k').then(
      () => ({ ms: performance.now() - sent }),
      (error: unknown) => ({ ms: performance.now() - sent, error }),
    );
    // A command that never settles must fail the test, not hang it.
    const hung = sleep(10_000, { ms: Infinity, error: 'no answer and no failure' }, { ref: false });
    outcomes.push(Promise.race([settled, hung]));
    await sleep(everyMs);
  }
  return Promise.all(outcomes);
}

describe('the Redis connection', () => {
  let redis: PrivateRedis;
  let connection: RedisConnection | undefined;
  before(async () => {
    redis = await PrivateRedis.start();
  });
  afterEach(async () => {
    redis.resume();
    await connection?.close();
    connection = undefined;
  });
  after(() => redis?.stop());

  /** A connected connection to the private Redis with k = v, counting its stalls and keeping its log messages. */
  async function connect(): Promise<{ connection: RedisConnection; logs: string[]; stalls: () => number }> {
    const logs: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line).msg) });
    const opened = openRedis(redis.url, logger);
    connection = opened;
    let stalls = 0;
    opened.onStall(() => stalls++);
    await opened.ready;
    await opened.client.set('k', 'v');
    return { connection: opened, logs, stalls: () => stalls };
  }

  it('when Redis freezes while commands keep coming, then each fails within seconds as unavailable, and after it thaws the same client works', async () => {
    const { connection, logs, stalls } = await connect();

    redis.pause();
    const pingStarted = performance.now();
    assert.equal(await connection.ping(), false);
    assert.ok(performance.now() - pingStarted < 1_300, `ping answered after ${Math.round(performance.now() - pingStarted)} ms`);

    // A command every 100 ms would keep an inactivity timeout from ever firing.
    const outcomes = await steadyTraffic(connection, 100, 4_000);
    assert.ok(outcomes.every((outcome) => outcome.error !== undefined), 'no command answered while frozen');
    assert.ok(outcomes.every((outcome) => isStoreUnavailable(outcome.error)), String(outcomes.find((o) => !isStoreUnavailable(o.error))?.error));
    const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
    assert.ok(slowest < 3_000, `the slowest command failed after ${Math.round(slowest)} ms`);
    // Once the silent connection is dropped, commands fail at once instead of queueing behind it.
    assert.ok(outcomes.slice(-10).every((outcome) => outcome.ms < 50), `last: ${outcomes.slice(-10).map((o) => Math.round(o.ms))}`);
    assert.equal(await connection.ping(), false);
    assert.equal(stalls(), 1);
    assert.ok(logs.includes('Redis stopped answering; dropping the connection and reconnecting'));

    redis.resume();
    assert.ok(await answersAgain(connection), 'the same client answers again');
    assert.equal(await connection.client.get('k'), 'v');
    assert.equal(await connection.ping(), true);
    assert.ok(logs.includes('Redis answering again after a stall'));
  });

  it('when the gateway’s own event loop is blocked longer than the stall window with nothing in flight, then the connection is kept', async () => {
    const { connection, logs, stalls } = await connect();
    const until = performance.now() + 3_000;
    while (performance.now() < until);
    await sleep(100);
    assert.equal(stalls(), 0);
    assert.equal(await connection.client.get('k'), 'v');
    assert.ok(!logs.some((line) => /stopped answering|connection error/.test(line)), logs.join('\n'));
  });

  it('when the gateway’s own event loop is blocked longer than the stall window with a command in flight, then that command answers or fails as unavailable, and the client answers again at once', async () => {
    const { connection } = await connect();
    // Its answer sits unread in the socket while the loop is held. Whether the timers that guard it fire before the
    // socket is read depends on the loop phase the block ends in (ADR 0001): either way nothing hangs or breaks.
    const inFlight = connection.client.get('k').then((value) => value, (error: unknown) => error);
    const until = performance.now() + 3_000;
    while (performance.now() < until);
    const outcome = await inFlight;
    assert.ok(outcome === 'v' || isStoreUnavailable(outcome), String(outcome));
    const unblocked = performance.now();
    assert.ok(await answersAgain(connection));
    assert.ok(performance.now() - unblocked < 500, `answered again ${Math.round(performance.now() - unblocked)} ms after the loop was free`);
  });

  it('when Redis is down and comes back, then commands fail at once meanwhile, the outage is logged once, and the client recovers', async () => {
    const { connection, logs, stalls } = await connect();
    await redis.stop();
    const started = performance.now();
    await assert.rejects(connection.client.get('k'), isStoreUnavailable);
    await sleep(1_500); // several reconnect attempts
    await assert.rejects(connection.client.get('k'), isStoreUnavailable);
    assert.ok(performance.now() - started < 2_000);
    assert.equal(await connection.ping(), false);
    assert.equal(logs.filter((line) => line === 'Redis connection error').length, 1, logs.join('\n'));

    await redis.start();
    assert.ok(await answersAgain(connection));
    assert.ok(logs.includes('Redis connection restored'));
  });

  it('when it is closed while Redis is frozen, then closing takes at most about a second', async () => {
    const { connection } = await connect();
    redis.pause();
    const pending = connection.client.get('k').catch((error: unknown) => error);
    const started = performance.now();
    await connection.close();
    assert.ok(performance.now() - started < 1_500, `closed after ${Math.round(performance.now() - started)} ms`);
    assert.ok(isStoreUnavailable(await pending));
  });

  it('when it is closed before Redis ever answered, then closing is immediate and ready rejects', async () => {
    await redis.stop();
    try {
      connection = openRedis(redis.url, pino({ level: 'silent' }));
      const started = performance.now();
      await connection.close();
      assert.ok(performance.now() - started < 100);
      await assert.rejects(connection.ready);
    } finally {
      await redis.start();
    }
  });
});
