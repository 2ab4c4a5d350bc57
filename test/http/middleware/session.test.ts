import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'redis';
import { MAX_REMEMBERED } from '../../../src/picker/picker-sessions.ts';
import { createPickerSession, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';

const connectRedis = () => createClient({ url: SHARED_REDIS_URL });

/** A signed-in user on a gateway whose sessions live in Redis under a prefix of their own, and a Redis client to look. */
async function withRedisSessions(
  env: Record<string, string>,
  test: (ctx: { h: Harness; redis: ReturnType<typeof connectRedis>; client: Client; sessionKey: () => string }) => Promise<void>,
) {
  const prefix = uniquePrefix();
  const h = await startHarness({ env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env } });
  const redis = connectRedis();
  await redis.connect();
  try {
    const client = await h.signedInClient();
    const sessionKey = () => `${prefix}sess:${client.sessionId!}`;
    await test({ h, redis, client, sessionKey });
  } finally {
    await redis.close();
    await h.close();
  }
}

describe('session lifetimes', () => {
  it('when a sign-in is older than the absolute lifetime, then the user is signed out however active', async () => {
    const h = await startHarness({ env: { SESSION_ABSOLUTE_TIMEOUT_MS: '1500' } });
    try {
      const client = await h.signedInClient();
      assert.match(await (await client.get('/')).text(), /alice@example\.com/);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      assert.doesNotMatch(await (await client.get('/')).text(), /alice@example\.com/);
      assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 401);
    } finally {
      await h.close();
    }
  });

  it('when the session lives in Redis, then its key expires with the idle timeout and is gone after logout', () =>
    withRedisSessions({ SESSION_IDLE_TIMEOUT_MS: '3600000' }, async ({ redis, client, sessionKey }) => {
      const key = sessionKey();
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`);
      await client.post('/auth/logout');
      assert.equal(await redis.exists(key), 0);
    }));

  it('when a user polls, then the stored expiry is refreshed at most once per touch interval (a tenth of the idle timeout)', () =>
    withRedisSessions({ SESSION_IDLE_TIMEOUT_MS: '20000' }, async ({ redis, client, sessionKey }) => {
      const id = await createPickerSession(client); // changes the session, so it is stored with a fresh expiry
      const ttl = () => redis.pTTL(sessionKey());
      const poll = async () => assert.equal((await client.get(`/sessions/${id}`, { accept: 'json' })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await poll();
      assert.ok((await ttl()) < 19_300, 'a poll within 2 s of the last store leaves the stored expiry alone');
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      await poll();
      assert.ok((await ttl()) > 19_500, 'a poll after 2 s moves the stored expiry forward');
    }));

  it('when a user creates a Picker session, then Redis sees one write of their session, with a rolled expiry, and nothing else on it', () =>
    withRedisSessions({ SESSION_IDLE_TIMEOUT_MS: '20000' }, async ({ redis, client, sessionKey }) => {
      await client.refreshCsrf(); // its own request, which may store the session: before anything is watched
      await new Promise((resolve) => setTimeout(resolve, 2_300)); // past the touch interval: the expiry is due to roll
      const monitor = redis.duplicate();
      await monitor.connect();
      const onSession: string[] = [];
      await monitor.monitor((line) => {
        if (line.includes(`"${sessionKey()}"`)) onSession.push(line.split(' "')[1]!.replace('"', ''));
      });
      try {
        assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 201);
        await redis.ping(); // MONITOR lines arrive in order: once the PING answers, the request's commands are in
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(onSession.map((command) => command.toUpperCase()), ['GET', 'SET'], 'loaded once, stored once, never touched');
        assert.ok((await redis.pTTL(sessionKey())) > 19_500, 'the one write carries the rolled expiry');
      } finally {
        await monitor.close();
      }
    }));

  it('when a user has created more Picker sessions than it remembers, then their stored session stays small', () =>
    withRedisSessions({}, async ({ h, redis, client, sessionKey }) => {
      h.emulator.knobs.maxOpenSessionsPerUser = 100;
      for (let i = 0; i < MAX_REMEMBERED + 3; i++) assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 201);
      const stored = (await redis.get(sessionKey()))!;
      const remembered = (JSON.parse(stored) as { pickerSessions: Record<string, unknown> }).pickerSessions;
      assert.equal(Object.keys(remembered).length, MAX_REMEMBERED);
      assert.ok(!stored.includes('pickerUri') && !stored.includes(h.emulator.url), 'Google\'s URLs live in the shared cache, not in the session');
      assert.ok(Buffer.byteLength(stored) < 4096, `${Buffer.byteLength(stored)} bytes`);
    }));
});
