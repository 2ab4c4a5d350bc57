import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeKeys } from './adapters/queue/remove-keys.ts';
import { createPickerSession, eventually, startHarness, TEST_CLIENT, TEST_SESSION_SECRET, waitForStatus, type Harness } from './helpers/harness.ts';
import { startProcess } from './helpers/gateway-process.ts';
import { filesUnder, importEnded, IMPORT_STEP_MS } from './helpers/imports.ts';
import { freePort, SHARED_REDIS_URL, uniquePrefix } from './helpers/redis.ts';

/** Runs src/server.ts with `env` until it exits; answers its exit code and what it wrote. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['src/server.ts'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('a web process and a worker process on one Redis', () => {
  let web: Harness;
  let worker: { child: ChildProcess; output: string[] } | undefined;
  let workerUrl: string;
  let root: string;
  let workerEnv: Record<string, string>;
  const prefix = uniquePrefix();

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-roles-'));
    // What the two processes share: Redis under one prefix, the key that seals Google tokens, the folder.
    const shared = {
      SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'), IMPORT_DESTINATION: `file:${root}`,
    };
    web = await startHarness({ env: { ...shared, ROLE: 'web' } });
    const { emulator } = web;
    const port = await freePort();
    workerUrl = `http://127.0.0.1:${port}`;
    workerEnv = {
      ...shared, ROLE: 'worker', NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: web.url, LOG_LEVEL: 'info',
      SESSION_SECRET: TEST_SESSION_SECRET, GOOGLE_CLIENT_ID: TEST_CLIENT.clientId, GOOGLE_CLIENT_SECRET: TEST_CLIENT.clientSecret,
      GOOGLE_AUTH_URL: `${emulator.url}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulator.url}/token`, GOOGLE_REVOKE_URL: `${emulator.url}/revoke`,
      GOOGLE_API_ROOT_URL: `${emulator.url}/`, PICKER_API_URL: emulator.url, MEDIA_HOSTS: '127.0.0.1',
    };
  });
  after(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      const exited = once(worker.child, 'exit');
      worker.child.kill('SIGTERM');
      await exited;
    }
    await web?.close();
    await removeKeys(prefix);
    await rm(root, { recursive: true, force: true });
  });

  it('when a pick completes, then the web process queues its import without copying, and the worker process copies it', async () => {
    const client = await web.signedInClient();
    const id = await createPickerSession(client);
    web.emulator.pick(id, { count: 2 });
    await waitForStatus(client, id, 'complete');
    await eventually(async () => (await web.stores.jobs.counts()).waiting > 0, 'the web process queues the import');
    // With no worker running, the work stays queued: nothing is read from Google, nothing is written.
    await sleep(1_000);
    assert.equal((await web.stores.jobs.counts()).waiting > 0, true, 'still queued');
    assert.deepEqual(web.emulator.requests.filter((request) => request.kind === 'media'), []);
    assert.deepEqual(await filesUnder(root), []);

    worker = await startProcess(workerEnv);
    assert.match(worker.output.join(''), /worker process/);
    const state = await importEnded(client, id, IMPORT_STEP_MS);
    assert.equal(state.status, 'done');
    assert.equal(state.items.length, 2);
    assert.ok((await filesUnder(root)).length >= 3, 'two items and a manifest');
    assert.ok(web.emulator.requests.some((request) => request.kind === 'media'), 'the worker read the bytes from Google');
    assert.doesNotMatch(worker.output.join(''), /emulator/i, 'a worker starts no emulator of its own');
  });

  it('when anything but the probes and metrics is asked of the worker process, then it answers 404', async () => {
    worker ??= await startProcess(workerEnv);
    assert.equal((await fetch(`${workerUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${workerUrl}/readyz`)).status, 200);
    const metrics = await fetch(`${workerUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^import_items_total\{outcome="done"\} 2$/m, "the worker counts the items it copied");
    for (const [method, route] of [['GET', '/'], ['GET', '/auth/google'], ['POST', '/sessions'], ['GET', '/sessions/x/import'], ['GET', '/static/app.css'], ['GET', '/api/v1/picks/x'], ['GET', '/pick']]) {
      const answer = await fetch(`${workerUrl}${route}`, { method, headers: { accept: 'application/json' } });
      assert.equal(answer.status, 404, `${method} ${route}`);
      assert.equal(answer.headers.getSetCookie().length, 0, `${method} ${route} sets no cookie`);
    }
  });
});

describe('a web or worker process without Redis', () => {
  for (const role of ['web', 'worker']) {
    it(`when ROLE=${role} starts with the store in memory, then it refuses to start, naming ROLE and SESSION_STORE`, async () => {
      const { code, output } = await runToExit({ ROLE: role, SESSION_STORE: 'memory', PORT: '0', HOST: '127.0.0.1' });
      assert.equal(code, 1);
      assert.match(output, new RegExp(`ROLE=${role} needs SESSION_STORE=redis`));
      assert.doesNotMatch(output, /listening on/);
    });
  }
});
