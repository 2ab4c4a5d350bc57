/**
 * The default deployment: one process, no Redis, its state in DATA_DIR. Stopped mid-import (killed, or told to
 * stop), then started again, it keeps the person signed in and finishes the import whole.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEmulator, type Emulator } from '@photos-picker-gateway/google-emulator';
import { startProcess } from '../helpers/gateway-process.ts';
import { Client, createPickerSession, eventually, signIn, TEST_CLIENT } from '../helpers/harness.ts';
import { assertNoSecretsIn, filesUnder, googleBytes, IMPORT_STEP_MS, importEnded, importOf, itemNamed, sha256, type ImportAnswer } from '../helpers/imports.ts';
import { freePort } from '../helpers/redis.ts';
import { readFile } from 'node:fs/promises';

const LARGE_VIDEO_BYTES = 8 * 1024 * 1024;
/** Slow enough that the large video is caught mid-copy, for seconds. */
const SLOW_MEDIA_BYTES_PER_SECOND = 512 * 1024;
const GRACE_MS = 3_000;

const copyUnderWay = (state: ImportAnswer) => state.items.some((item) => item.status === 'copying' && item.bytes > 0);

describe('the embedded store across a restart mid-import', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = createEmulator({ librarySize: 6, largeVideoBytes: LARGE_VIDEO_BYTES, knobs: { pollIntervalSeconds: 1 } });
    await emulator.listen(0, '127.0.0.1');
  });
  after(() => emulator.close());

  for (const stop of ['SIGKILL', 'SIGTERM'] as const) {
    it(`when the process is stopped with ${stop} during a slow copy and started again, then the person is still signed in and the import ends whole, with no partial file`, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'gateway-embedded-'));
      const root = path.join(dataDir, 'imports');
      const port = await freePort();
      const site = `http://127.0.0.1:${port}`;
      emulator.registerClient({ ...TEST_CLIENT, redirectUris: [`${site}/auth/google/callback`] });
      // No SESSION_STORE, no secrets: the defaults of `npm start`, with Google pointed at the test's emulator.
      const env = {
        NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: site, DATA_DIR: dataDir, LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: String(GRACE_MS), IMPORT_CONCURRENCY: '1', IMPORT_BACKOFF_MS: '50',
        GOOGLE_CLIENT_ID: TEST_CLIENT.clientId, GOOGLE_CLIENT_SECRET: TEST_CLIENT.clientSecret,
        GOOGLE_AUTH_URL: `${emulator.url}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulator.url}/token`, GOOGLE_REVOKE_URL: `${emulator.url}/revoke`,
        GOOGLE_API_ROOT_URL: `${emulator.url}/`, PICKER_API_URL: emulator.url, MEDIA_HOSTS: '127.0.0.1',
      };
      let running = await startProcess(env);
      const logs: string[] = [];
      try {
        emulator.clearRequests();
        const client = new Client(site);
        assert.equal((await signIn(client)).status, 303);
        const items = [itemNamed(emulator, 'photo-001.png'), itemNamed(emulator, 'large-video.mp4')];
        const id = await createPickerSession(client);
        emulator.knobs.mediaBytesPerSecond = SLOW_MEDIA_BYTES_PER_SECOND;
        emulator.pick(id, { itemIds: items });
        await eventually(async () => copyUnderWay(await importOf(client, id)), 'a copy is under way', IMPORT_STEP_MS);

        const exited = once(running.child, 'exit');
        const stoppedAt = Date.now();
        running.child.kill(stop);
        const [code] = await exited;
        const stoppedInMs = Date.now() - stoppedAt;
        logs.push(...running.output.join('').split('\n'));
        if (stop === 'SIGTERM') {
          assert.equal(code, 0);
          assert.ok(stoppedInMs < GRACE_MS + 2_000, `stopped in ${stoppedInMs} ms, grace ${GRACE_MS} ms`);
        }

        emulator.knobs.mediaBytesPerSecond = 0;
        running = await startProcess(env);
        const stillSignedIn = await client.get(`/sessions/${id}/import`, { accept: 'json' });
        assert.equal(stillSignedIn.status, 200, 'the same cookie is still signed in after the restart');

        const state = await importEnded(client, id);
        assert.equal(state.status, 'done', JSON.stringify(state.items));
        const files = await filesUnder(root);
        assert.deepEqual(files.filter((file) => file.endsWith('.part') || path.basename(file).startsWith('.')), [], 'no partial write left behind');
        // The copy cut off went on from what it had stored: the last read of the video asked Google for the rest only.
        const videoReads = emulator.requests.filter((request) => request.kind === 'media' && request.path.endsWith('=dv'));
        const resumed = videoReads.at(-1)!;
        assert.match(resumed.range ?? '', /^bytes=[1-9]\d*-$/, `the copy after the restart resumed: ${JSON.stringify(videoReads.map(({ range, bytes, status }) => ({ range, bytes, status })))}`);
        assert.ok((resumed.bytes ?? 0) < LARGE_VIDEO_BYTES, `read ${resumed.bytes} of ${LARGE_VIDEO_BYTES} bytes again`);
        const google = await googleBytes(emulator, items);
        for (const item of state.items) {
          const bytes = await readFile(path.join(root, item.key));
          assert.equal(sha256(bytes), sha256(google.get(item.id)!), item.filename);
          assert.equal(item.sha256, sha256(bytes));
        }
        assert.ok((await readdir(dataDir)).includes('gateway.sqlite'));
        logs.push(...running.output.join('').split('\n'));
        assertNoSecretsIn(logs);
      } finally {
        emulator.knobs.mediaBytesPerSecond = 0;
        if (running.child.exitCode === null && running.child.signalCode === null) {
          const exited = once(running.child, 'exit');
          running.child.kill('SIGTERM');
          await exited;
        }
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }

  it('when a second process starts on the same data directory, then it is refused with a message that says what to do', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'gateway-embedded-'));
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const first = await startProcess({ PORT: String(port), HOST: '127.0.0.1', EMULATOR_PORT: String(emulatorPort), DATA_DIR: dataDir });
    try {
      const [secondPort, secondEmulatorPort] = [await freePort(), await freePort()];
      const second = await startProcess({ PORT: String(secondPort), HOST: '127.0.0.1', EMULATOR_PORT: String(secondEmulatorPort), DATA_DIR: dataDir }).then(
        () => assert.fail('a second process started on the same file'),
        (error: Error) => error.message,
      );
      assert.match(second, /Another gateway process already uses .*gateway\.sqlite/);
      assert.match(second, /SESSION_STORE=redis/);
    } finally {
      const exited = once(first.child, 'exit');
      first.child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
