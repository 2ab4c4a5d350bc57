import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { PrivateRedis, uniquePrefix } from '../helpers/redis.ts';

describe('when Redis goes away and comes back', () => {
  let redis: PrivateRedis;
  let h: Harness;
  before(async () => {
    redis = await PrivateRedis.start();
    h = await startHarness({ env: { SESSION_STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix() } });
  });
  after(async () => {
    await h?.close();
    await redis?.stop();
  });

  it('then requests get a clear 503, readiness turns 503, nothing crashes, and it recovers without a restart', async () => {
    const client = await h.signedInClient();
    assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    assert.equal((await client.get('/')).status, 200);

    await redis.stop();
    const results: number[] = [];
    for (let i = 0; i < 20; i++) {
      const page = await client.get('/', { accept: 'html' });
      results.push(page.status);
      const text = await page.text();
      if (page.status === 503) assert.match(text, /briefly unavailable/);
    }
    const api = await client.get('/sessions/x', { accept: 'json' });
    assert.equal(api.status, 503);
    assert.equal((await api.json()).code, 'SERVICE_UNAVAILABLE');
    assert.ok(results.every((status) => status === 503), `statuses while down: ${results.join(',')}`);
    assert.equal((await fetch(`${h.url}/readyz`)).status, 503);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200, 'liveness does not depend on Redis');
    assert.ok(h.logs.some((line) => /Redis connection error/.test(line)), 'the outage is logged');

    await redis.start();
    const deadline = Date.now() + 10_000;
    let ready = 0;
    while (Date.now() < deadline && ready !== 200) {
      ready = (await fetch(`${h.url}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(ready, 200);
    // The Redis kept nothing on disk: the old session is gone, but the service works again.
    assert.equal((await client.get('/')).status, 200);
    assert.equal((await (await h.signedInClient()).post('/sessions', { accept: 'json', json: {} })).status, 201);
  });

  it('when Redis stays connected but stops answering, then requests get a 503 within seconds, not a hang, and it recovers', async () => {
    const client = await h.signedInClient();
    assert.equal((await client.get('/sessions/x', { accept: 'json' })).status, 404);

    redis.pause();
    try {
      const started = performance.now();
      const api = await client.get('/sessions/x', { accept: 'json', signal: AbortSignal.timeout(10_000) });
      const waited = performance.now() - started;
      assert.equal(api.status, 503);
      assert.equal((await api.json()).code, 'SERVICE_UNAVAILABLE');
      assert.ok(waited < 4_000, `answered after ${Math.round(waited)} ms`);
      assert.ok(h.logs.some((line) => /Redis stopped answering/.test(line)), 'the stall is logged');
      // Until Redis answers again, requests fail at once instead of queueing behind the stalled connection.
      const next = performance.now();
      assert.equal((await client.get('/sessions/x', { accept: 'json' })).status, 503);
      assert.ok(performance.now() - next < 500, `later requests fail fast: ${Math.round(performance.now() - next)} ms ${h.logs.slice(-8).map((l) => JSON.parse(l).msg).join(' / ')}`);
      assert.equal((await fetch(`${h.url}/readyz`)).status, 503);
      assert.match(await (await fetch(`${h.url}/metrics`)).text(), /^store_connection_stalls_total 1$/m);
    } finally {
      redis.resume();
    }

    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 404) {
      status = (await client.get('/sessions/x', { accept: 'json' })).status;
      if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 404, 'the same signed-in session works again');
    assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    assert.ok(h.logs.some((line) => /Redis answering again after a stall/.test(line)), 'the recovery is logged');
  });
});
