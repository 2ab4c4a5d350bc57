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
import { assertNoSecretsIn, downloading, filesUnder, googleBytes, IMPORT_STEP_MS, importEnded, importOf, itemNamed, sha256, type ImportAnswer } from '../helpers/imports.ts';
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

/** A deployment of gateway processes on one Redis and one folder, replicas started and killed by the test. */
async function deploymentOfProcesses() {
  const emulator = createEmulator(emulatorOptions);
  await emulator.listen(0, '127.0.0.1');
  const root = await mkdtemp(path.join(tmpdir(), 'gateway-restarts-'));
  const prefix = uniquePrefix();
  const firstPort = await freePort();
  const site = `http://127.0.0.1:${firstPort}`;
  emulator.registerClient({ ...TEST_CLIENT, redirectUris: [`${site}/auth/google/callback`] });
  const env = {
    PUBLIC_URL: site, SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'), IMPORT_DESTINATION: `file:${root}`, IMPORT_CONCURRENCY: '1', JOB_LOCK_MS: '1000',
    NODE_ENV: 'test', HOST: '127.0.0.1', LOG_LEVEL: 'info', SESSION_SECRET: TEST_SESSION_SECRET,
    GOOGLE_CLIENT_ID: TEST_CLIENT.clientId, GOOGLE_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    GOOGLE_AUTH_URL: `${emulator.url}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulator.url}/token`, GOOGLE_REVOKE_URL: `${emulator.url}/revoke`,
    GOOGLE_API_ROOT_URL: `${emulator.url}/`, PICKER_API_URL: emulator.url, MEDIA_HOSTS: '127.0.0.1',
  };
  const replicas: Array<Awaited<ReturnType<typeof startProcess>>> = [];
  const start = async (port?: number) => {
    const chosen = port ?? (await freePort());
    const replica = { ...(await startProcess({ ...env, PORT: String(chosen) })), url: `http://127.0.0.1:${chosen}` };
    replicas.push(replica);
    return replica;
  };
  return {
    emulator,
    root,
    site,
    firstPort,
    start,
    /** SIGKILL: a crash, or a restart whose shutdown ran out of time before the copy ended. */
    async kill(replica: Awaited<ReturnType<typeof start>>) {
      const exited = once(replica.child, 'exit');
      replica.child.kill('SIGKILL');
      await exited;
    },
    logs: () => replicas.flatMap((replica) => replica.output.join('').split('\n')),
    async close() {
      for (const replica of replicas) if (replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill('SIGKILL');
      await emulator.close();
      await removeKeys(prefix);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A new copy has begun: some media download is under way (a killed process's download reads as aborted). */
const copying = (emulator: ReturnType<typeof createEmulator>) => eventually(() => downloading(emulator), 'a copy is under way', IMPORT_STEP_MS);
/** Slow enough that a copy of the large video outlasts starting a replica on a busy machine. */
const CRAWLING_MEDIA_BYTES_PER_SECOND = 256 * 1024;

/**
 * The large video picked on a deployment of one replica, copied slowly: answers the replica copying it, the signed-in
 * browser and the session id once the copy is under way.
 */
async function largeVideoUnderWay(d: Awaited<ReturnType<typeof deploymentOfProcesses>>) {
  const replica = await d.start(d.firstPort);
  const client = new Client(d.site);
  assert.equal((await signIn(client)).status, 303);
  const item = itemNamed(d.emulator, 'large-video.mp4');
  const id = await createPickerSession(client);
  d.emulator.knobs.mediaBytesPerSecond = CRAWLING_MEDIA_BYTES_PER_SECOND;
  d.emulator.pick(id, { itemIds: [item] });
  await copying(d.emulator);
  return { replica, client, item, id };
}

/**
 * The copy was cut off twice: the import ends failed with its manifest, the item saying why; Retry (Google's media at
 * full speed again) imports it whole.
 */
async function assertInterruptedThenRetried(d: Awaited<ReturnType<typeof deploymentOfProcesses>>, client: Client, id: string, item: string): Promise<void> {
  const ended = await importEnded(client, id);
  assert.equal(ended.status, 'failed');
  assert.match(ended.items[0]!.error ?? '', /interrupted too many times/);
  const manifest = JSON.parse(await readFile(path.join(d.root, ended.manifestKey!), 'utf8'));
  assert.equal(manifest.items[0].status, 'failed');

  d.emulator.knobs.mediaBytesPerSecond = 0;
  const retried = await client.post(`/sessions/${id}/import`, { accept: 'json' });
  assert.deepEqual(await retried.json(), { retried: 1 });
  const state = await importEnded(client, id);
  assert.equal(state.status, 'done', JSON.stringify(state.items));
  const bytes = await googleBytes(d.emulator, [item]);
  assert.equal(state.items[0]!.sha256, sha256(bytes.get(item)!));
  assert.equal(sha256(await readFile(path.join(d.root, state.items[0]!.key))), state.items[0]!.sha256);
  assertNoSecretsIn(d.logs());
}

describe('imports when the process copying dies again and again', () => {
  it('when one replica crash-loops mid-copy, then the item that stalled twice fails saying so, the import ends with its manifest, and Retry imports it', async () => {
    const d = await deploymentOfProcesses();
    try {
      const underWay = await largeVideoUnderWay(d);
      let { replica } = underWay;
      for (let crash = 1; crash <= 2; crash++) {
        await d.kill(replica);
        replica = await d.start(d.firstPort);
        if (crash === 1) await copying(d.emulator); // taken over after its first stall
      }
      await assertInterruptedThenRetried(d, underWay.client, underWay.id, underWay.item);
    } finally {
      await d.close();
    }
  });

  it('when two rolling restarts each replace the replica mid-copy, then the import ends with its manifest, the item failed saying why, and Retry completes it', async () => {
    const d = await deploymentOfProcesses();
    try {
      const underWay = await largeVideoUnderWay(d);
      let running = underWay.replica;
      for (let restart = 1; restart <= 2; restart++) {
        // A rolling restart: the replacement starts, then the old process goes before its copy ends.
        const replacement = await d.start();
        await d.kill(running);
        running = replacement;
        if (restart === 1) await copying(d.emulator); // the replacement took the copy over
      }
      await assertInterruptedThenRetried(d, underWay.client.via(running.url), underWay.id, underWay.item);
    } finally {
      await d.close();
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
