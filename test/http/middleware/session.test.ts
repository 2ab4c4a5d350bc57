import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'redis';
import { MAX_REMEMBERED } from '../../../src/picker/picker-sessions.ts';
import { createPickerSession, startHarness } from '../../helpers/harness.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';

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

  it('when the session lives in Redis, then its key expires with the idle timeout and is gone after logout', async () => {
    const prefix = uniquePrefix();
    const h = await startHarness({ env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, SESSION_IDLE_TIMEOUT_MS: '3600000' } });
    const redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
    try {
      const client = await h.signedInClient();
      const sid = decodeURIComponent(client.cookies.get('sid')!).slice(2).split('.')[0]!;
      const ttl = await redis.ttl(`${prefix}sess:${sid}`);
      assert.ok(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`);
      await client.post('/auth/logout');
      assert.equal(await redis.exists(`${prefix}sess:${sid}`), 0);
    } finally {
      await redis.close();
      await h.close();
    }
  });
  it('when a user polls, then the stored expiry is refreshed at most once per touch interval (a tenth of the idle timeout)', async () => {
    const prefix = uniquePrefix();
    const h = await startHarness({ env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, SESSION_IDLE_TIMEOUT_MS: '20000' } });
    const redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client); // changes the session, so it is stored with a fresh expiry
      const sid = decodeURIComponent(client.cookies.get('sid')!).slice(2).split('.')[0]!;
      const ttl = () => redis.pTTL(`${prefix}sess:${sid}`);
      const poll = async () => assert.equal((await client.get(`/sessions/${id}`, { accept: 'json' })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await poll();
      assert.ok((await ttl()) < 19_300, 'a poll within 2 s of the last store leaves the stored expiry alone');
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      await poll();
      assert.ok((await ttl()) > 19_500, 'a poll after 2 s moves the stored expiry forward');
      assert.match(client.cookies.get('sid') ?? '', /./, 'the browser keeps its rolling cookie');
    } finally {
      await redis.close();
      await h.close();
    }
  });

  it('when a user has created more Picker sessions than it remembers, then their stored session stays small', async () => {
    const prefix = uniquePrefix();
    const h = await startHarness({ env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix } });
    h.emulator.knobs.maxOpenSessionsPerUser = 100;
    const redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
    try {
      const client = await h.signedInClient();
      for (let i = 0; i < MAX_REMEMBERED + 3; i++) assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 201);
      const sid = decodeURIComponent(client.cookies.get('sid')!).slice(2).split('.')[0]!;
      const stored = (await redis.get(`${prefix}sess:${sid}`))!;
      const remembered = (JSON.parse(stored) as { pickerSessions: Record<string, unknown> }).pickerSessions;
      assert.equal(Object.keys(remembered).length, MAX_REMEMBERED);
      assert.ok(!stored.includes('pickerUri') && !stored.includes(h.emulator.url), 'Google\'s URLs live in the shared cache, not in the session');
      assert.ok(Buffer.byteLength(stored) < 4096, `${Buffer.byteLength(stored)} bytes`);
    } finally {
      await redis.close();
      await h.close();
    }
  });
});
