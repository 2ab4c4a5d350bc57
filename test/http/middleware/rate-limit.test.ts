import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHarness } from '../../helpers/harness.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';

for (const store of ['memory', 'redis'] as const) {
  describe(`rate limits (${store} store)`, () => {
    const env = store === 'redis' ? { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix() } : {};

    it('when a client starts too many sign-ins, then 429 with Retry-After and RateLimit headers', async () => {
      const h = await startHarness({ env: { ...env, RATE_LIMIT_SIGNIN: '3' } });
      try {
        const client = h.client();
        for (let i = 0; i < 3; i++) assert.equal((await client.get('/auth/google')).status, 302);
        const limited = await client.get('/auth/google', { accept: 'json' });
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get('retry-after')) > 0);
        assert.match(limited.headers.get('ratelimit-policy') ?? '', /q=3/);
        assert.match(limited.headers.get('ratelimit') ?? '', /r=0/);
        assert.equal((await limited.json()).code, 'RATE_LIMITED');
        const page = await client.get('/auth/google', { accept: 'html' });
        assert.match(await page.text(), /Too many requests/);
      } finally {
        await h.close();
      }
    });

    it('when a user creates too many sessions in a minute, then 429 (counted per user, not per IP)', async () => {
      const h = await startHarness({ env: { ...env, RATE_LIMIT_SESSIONS: '2' } });
      try {
        const alice = await h.signedInClient();
        const bob = await h.signedInClient({ account: 'bob@example.com' });
        for (let i = 0; i < 2; i++) assert.equal((await alice.post('/sessions', { accept: 'json', json: {} })).status, 201);
        const limited = await alice.post('/sessions', { accept: 'json', json: {} });
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers.get('retry-after')) > 0);
        assert.equal((await bob.post('/sessions', { accept: 'json', json: {} })).status, 201, 'another user on the same IP is not limited');
      } finally {
        await h.close();
      }
    });
  });
}
