import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createEmulator } from '@photos-picker-gateway/google-emulator';
import { removeKeys } from '../adapters/queue/remove-keys.ts';
import { startProcess } from '../helpers/gateway-process.ts';
import { Client, createPickerSession, eventually, signIn, startHarness, TEST_CLIENT, TEST_SESSION_SECRET, type Harness } from '../helpers/harness.ts';
import { assertNoSecretsIn, filesUnder, googleBytes, IMPORT_STEP_MS, importEnded, importOf, itemNamed, sha256, type ImportAnswer } from '../helpers/imports.ts';
import { freePort, PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

/** Above a progress report (every MiB), so a copy is seen under way well before it ends. */
const LARGE_VIDEO_BYTES = 8 * 1024 * 1024;
const emulatorOptions = { librarySize: 6, largeVideoBytes: LARGE_VIDEO_BYTES, knobs: { pollIntervalSeconds: 1 } };
/** Slow enough that a copy of the large video is caught mid-way, for seconds. */
const SLOW_MEDIA_BYTES_PER_SECOND = 1024 * 1024;

/** True once some item is being copied and part of its bytes are in. */
const copyUnderWay = (state: ImportAnswer) => state.items.some((item) => item.status === 'copying' && item.bytes > 0);

/** The folder holds the imported items, their previews and the manifest: one whole copy each, nothing else. */
async function assertImportedWhole(root: string, state: ImportAnswer, google: Map<string, Buffer>): Promise<void> {
  assert.equal(state.status, 'done', JSON.stringify(state.items));
  const folder = path.posix.dirname(state.manifestKey!);
  const files = await filesUnder(root);
  assert.deepEqual(files.filter((file) => file.endsWith('.part')), [], 'no partial write left behind');
  assert.equal(files.length, state.items.length * 2 + 1, `items, previews and the manifest: ${files.join(', ')}`);
  assert.ok(files.every((file) => file.startsWith(`${folder}/`)));
  for (const item of state.items) {
    const bytes = await readFile(path.join(root, item.key));
    assert.equal(sha256(bytes), sha256(google.get(item.id)!), item.filename);
    assert.equal(item.sha256, sha256(bytes));
  }
}

describe('imports when a worker process dies mid-copy', () => {
  it('when the process copying is killed with SIGKILL, then another replica takes the copy over and each item lands once, whole', async () => {
    const emulator = createEmulator(emulatorOptions);
    await emulator.listen(0, '127.0.0.1');
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-killed-'));
    const prefix = uniquePrefix();
    const port = await freePort();
    const site = `http://127.0.0.1:${port}`;
    emulator.registerClient({ ...TEST_CLIENT, redirectUris: [`${site}/auth/google/callback`] });
    // What both replicas share: the site, its secrets, Redis, the folder; a claim on a job lasts a second unrenewed.
    const shared = {
      PUBLIC_URL: site, SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'), IMPORT_DESTINATION: `file:${root}`, IMPORT_CONCURRENCY: '1', JOB_LOCK_MS: '1000',
    };
    const doomed = await startProcess({
      ...shared, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', SESSION_SECRET: TEST_SESSION_SECRET,
      GOOGLE_CLIENT_ID: TEST_CLIENT.clientId, GOOGLE_CLIENT_SECRET: TEST_CLIENT.clientSecret,
      GOOGLE_AUTH_URL: `${emulator.url}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulator.url}/token`, GOOGLE_REVOKE_URL: `${emulator.url}/revoke`,
      GOOGLE_API_ROOT_URL: `${emulator.url}/`, PICKER_API_URL: emulator.url, MEDIA_HOSTS: '127.0.0.1',
    });
    let survivor: Harness | undefined;
    try {
      const client = new Client(site);
      assert.equal((await signIn(client)).status, 303);
      const items = [itemNamed(emulator, 'video-005.mp4'), itemNamed(emulator, 'large-video.mp4')];
      const id = await createPickerSession(client);
      emulator.knobs.mediaBytesPerSecond = SLOW_MEDIA_BYTES_PER_SECOND;
      emulator.pick(id, { itemIds: items });
      await eventually(async () => copyUnderWay(await importOf(client, id)), 'the lone replica is mid-copy', IMPORT_STEP_MS);

      survivor = await startHarness({ sharedEmulator: emulator, env: shared });
      const exited = once(doomed.child, 'exit');
      doomed.child.kill('SIGKILL');
      await exited;
      emulator.knobs.mediaBytesPerSecond = 0;

      const state = await importEnded(client.via(survivor.url), id);
      await assertImportedWhole(root, state, await googleBytes(emulator, items));
      assertNoSecretsIn([...doomed.output.join('').split('\n'), ...survivor.logs]);
    } finally {
      if (doomed.child.exitCode === null && doomed.child.signalCode === null) doomed.child.kill('SIGKILL');
      await survivor?.close();
      await emulator.close();
      await removeKeys(prefix);
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('imports when Redis restarts mid-import', () => {
  it('when Redis is killed and started again during a copy, then the jobs resume and the import completes, whole', async () => {
    const redis = await PrivateRedis.start({ persistent: true });
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-redis-restart-'));
    let redisDown = false;
    const h = await startHarness({
      env: { SESSION_STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix(), IMPORT_DESTINATION: `file:${root}`, IMPORT_CONCURRENCY: '1', IMPORT_BACKOFF_MS: '50', JOB_LOCK_MS: '1000' },
      emulator: emulatorOptions,
    });
    try {
      const client = await h.signedInClient();
      const items = [itemNamed(h.emulator, 'video-005.mp4'), itemNamed(h.emulator, 'large-video.mp4')];
      const id = await createPickerSession(client);
      h.emulator.knobs.mediaBytesPerSecond = SLOW_MEDIA_BYTES_PER_SECOND;
      h.emulator.pick(id, { itemIds: items });
      await eventually(async () => copyUnderWay(await importOf(client, id)), 'a copy is under way', IMPORT_STEP_MS);

      await redis.stop();
      redisDown = true;
      h.emulator.knobs.mediaBytesPerSecond = 0;
      // The copy's bytes are in while Redis is away: what comes next (its preview, recording it) meets the outage.
      await eventually(async () => (await filesUnder(root)).some((file) => file.endsWith('/large-video.mp4')), 'the copy has written its bytes', IMPORT_STEP_MS);
      await redis.start();
      redisDown = false;
      await eventually(async () => (await fetch(`${h.url}/readyz`)).status === 200, 'the gateway is ready again');

      const state = await importEnded(client, id);
      await assertImportedWhole(root, state, await googleBytes(h.emulator, items));
      assertNoSecretsIn(h.logs);
    } finally {
      h.emulator.knobs.mediaBytesPerSecond = 0;
      if (redisDown) await redis.start();
      await h.close();
      await redis.remove();
      await rm(root, { recursive: true, force: true });
    }
  });
});
