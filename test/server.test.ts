import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createEmulator, type Emulator } from '@photos-picker-gateway/google-emulator';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { Client, signIn, TEST_CLIENT } from './helpers/harness.ts';
import { startProcess } from './helpers/gateway-process.ts';
import { freePort } from './helpers/redis.ts';

describe('the server process', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = createEmulator();
    await emulator.listen(0, '127.0.0.1');
  });
  after(() => emulator.close());

  it('when SIGTERM arrives during a slow Google call, then readiness turns 503, the call completes, and the process exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    emulator.registerClient({ ...TEST_CLIENT, redirectUris: [`${url}/auth/google/callback`] });
    const { child, output } = await startProcess({
      NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url,
      GOOGLE_CLIENT_ID: TEST_CLIENT.clientId, GOOGLE_CLIENT_SECRET: TEST_CLIENT.clientSecret,
      SESSION_SECRET: 'a-production-secret-of-at-least-32-chars!', TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      GOOGLE_AUTH_URL: `${emulator.url}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulator.url}/token`,
      GOOGLE_REVOKE_URL: `${emulator.url}/revoke`, GOOGLE_API_ROOT_URL: `${emulator.url}/`, PICKER_API_URL: emulator.url,
      MEDIA_HOSTS: '127.0.0.1', SHUTDOWN_GRACE_MS: '5000', LOG_LEVEL: 'info',
    });
    try {
      assert.match(output.join(''), /PUBLIC_URL is http/, 'production on http warns');
      const client = new Client(url);
      assert.equal((await signIn(client)).status, 303);
      await client.refreshCsrf();
      emulator.injectFault({ method: 'POST', path: '/v1/sessions', delayMs: 1_500 });
      const slow = client.post('/sessions', { accept: 'json', json: {} });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const readiness = await fetch(`${url}/readyz`).then((r) => r.status, () => 'refused');
      assert.ok(readiness === 503 || readiness === 'refused', `readiness during shutdown: ${readiness}`);
      const response = await slow;
      assert.equal(response.status, 201, 'the in-flight request completed');
      const [code] = await exited;
      assert.equal(code, 0);
      const log = output.join('');
      assert.match(log, /shutting down/);
      assert.match(log, /shutdown complete/);
      assert.doesNotMatch(log, /ya29\.|1\/\/|Bearer /);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('when production is missing a setting, then the process refuses to start and names it', async () => {
    const child = spawn(process.execPath, ['src/server.ts'], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(text, /GOOGLE_CLIENT_ID/);
  });

  it('when started with no Google client outside production, then it serves the emulator too and says so in one line', async () => {
    const port = await freePort();
    const emulatorPort = await freePort();
    const { child, output } = await startProcess({ PORT: String(port), HOST: '127.0.0.1', EMULATOR_PORT: String(emulatorPort), PUBLIC_URL: `http://127.0.0.1:${port}` });
    try {
      const lines = output.join('').split('\n').filter((line) => /emulator/i.test(line));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.ok(lines[0]!.includes(`http://127.0.0.1:${emulatorPort}`));
      const client = new Client(`http://127.0.0.1:${port}`);
      const start = await client.get('/auth/google');
      assert.ok(start.headers.get('location')!.startsWith(`http://127.0.0.1:${emulatorPort}/o/oauth2/v2/auth?`));
      const consent = await fetch(start.headers.get('location')!);
      assert.equal(consent.status, 200);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.equal((await exited)[0], 0);
    }
  });
});

describe('graceful shutdown', () => {
  const GRACE_MS = 20_000;

  async function start(): Promise<RunningServer> {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`,
      EMULATOR_PORT: String(emulatorPort), SHUTDOWN_GRACE_MS: String(GRACE_MS), SESSION_STORE: 'memory',
    });
    return startServer(config, createLogger('silent'));
  }

  /** A client connection kept alive between requests, as a load balancer's. */
  function keptAlive(url: string) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ response: IncomingMessage; reusedSocket: boolean }>((resolve, reject) => {
        const req = request(`${url}${path}`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ response, reusedSocket: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    return { get, close: () => agent.destroy() };
  }

  /**
   * A request, on a kept-alive connection, whose body the server waits for until `finish` is called: in flight for as
   * long as the test likes.
   */
  async function slowRequest(running: RunningServer) {
    const agent = new Agent({ keepAlive: true });
    const received = once(running.server, 'request');
    let answer!: (status: number) => void;
    const answered = new Promise<number>((resolve) => (answer = resolve));
    const req = request(`${running.url}/`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': '2' } }, (response) => {
      response.resume();
      response.on('end', () => answer(response.statusCode!));
    });
    req.write('{');
    await received;
    return { answered, finish: () => req.end('}'), close: () => agent.destroy() };
  }

  it('when nothing is in flight, then shutdown completes well within the grace period, idle connections or not', async () => {
    const running = await start();
    const client = keptAlive(running.url);
    try {
      assert.equal((await client.get('/healthz')).response.statusCode, 200);
      const started = performance.now();
      await running.shutdown('SIGTERM');
      assert.ok(performance.now() - started < GRACE_MS / 4, `took ${Math.round(performance.now() - started)} ms`);
    } finally {
      client.close();
    }
  });

  it('when a slow request is in flight, then it completes and shutdown finishes right after, not at the end of the grace period', async () => {
    const running = await start();
    const slow = await slowRequest(running);
    try {
      const started = performance.now();
      const shutdown = running.shutdown('SIGTERM');
      slow.finish();
      assert.ok((await slow.answered) > 0, 'the in-flight request got its answer');
      await shutdown;
      assert.ok(performance.now() - started < GRACE_MS / 4, `took ${Math.round(performance.now() - started)} ms`);
    } finally {
      slow.close();
    }
  });

  it('when an idle kept-alive connection asks /readyz during the drain, then it gets 503 with Connection: close, not a reset', async () => {
    const running = await start();
    const client = keptAlive(running.url);
    let slow: Awaited<ReturnType<typeof slowRequest>> | undefined;
    try {
      assert.equal((await client.get('/readyz')).response.statusCode, 200);
      slow = await slowRequest(running);
      const shutdown = running.shutdown('SIGTERM');
      const { response, reusedSocket } = await client.get('/readyz');
      assert.equal(reusedSocket, true, 'asked over the connection opened before SIGTERM');
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers.connection, 'close');
      slow.finish();
      await slow.answered;
      await shutdown;
    } finally {
      client.close();
      slow?.close();
    }
  });
});
