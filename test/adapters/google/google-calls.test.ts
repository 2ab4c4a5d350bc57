import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../../src/config.ts';
import { AppError } from '../../../src/errors.ts';
import { googleHttp } from '../../../src/adapters/google/http-client.ts';
import { GoogleOAuth } from '../../../src/adapters/google/oauth.ts';
import { PickerApi } from '../../../src/adapters/google/picker-api.ts';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.ts';

const TIMEOUT_MS = 300;

describe('Google API calls', () => {
  let google: StandInServer;
  let base: string;
  let config: Config;
  /** The same Google with a short UPSTREAM_TIMEOUT_MS. */
  let hurried: Config;
  let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  let seen: { method: string; url: string; authorization: string | undefined; port: number | undefined; body: string }[];

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  before(async () => {
    google = await startStandInServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, port: req.socket.remotePort, body });
        handle(req, res, body);
      });
    });
    base = google.base;
    const env = { NODE_ENV: 'test', GOOGLE_TOKEN_URL: `${base}/token`, GOOGLE_API_ROOT_URL: `${base}/`, PICKER_API_URL: base };
    config = loadConfig(env);
    hurried = loadConfig({ ...env, UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  after(() => google.close());
  beforeEach(() => {
    seen = [];
  });

  it('when OAuth, userinfo and Picker calls are made, then all reach Google over the one shared Agent', async () => {
    handle = (req, res) => {
      if (req.url === '/token') return json(res, 200, { access_token: 'ya29.new', expires_in: 3599, scope: 'openid' });
      if (req.url === '/oauth2/v2/userinfo') return json(res, 200, { id: '42', email: 'alice@example.com' });
      return json(res, 200, { id: 'abc', pickerUri: 'https://photos.google.com/picker/abc', expireTime: '2030-01-01T00:00:00Z' });
    };
    const oauth = new GoogleOAuth(config);
    const tokens = await oauth.exchangeCode('code-1', 'verifier');
    const profile = await oauth.profile(tokens.access_token);
    const session = await new PickerApi(config, tokens.access_token).getSession('abc');

    assert.equal(tokens.access_token, 'ya29.new');
    assert.deepEqual(profile, { sub: '42', email: 'alice@example.com' });
    assert.equal(session.id, 'abc');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.url.split('?')[0]}`), ['POST /token', 'GET /oauth2/v2/userinfo', 'GET /v1/sessions/abc']);
    assert.match(seen[0]!.body, /code=code-1/);
    assert.deepEqual(seen.slice(1).map((r) => r.authorization), ['Bearer ya29.new', 'Bearer ya29.new']);
    // Every connection Google saw is one of the shared Agent's: none came from another client.
    const connections = new Set(seen.map((r) => r.port)).size;
    assert.equal(googleHttp(config.upstreamTimeoutMs).agent.stats[base]?.connected, connections);
  });

  it('when Google does not answer, then the call fails with 504 at UPSTREAM_TIMEOUT_MS and is not retried', async () => {
    handle = () => undefined;
    const started = performance.now();
    await assert.rejects(new PickerApi(hurried, 'token').getSession('abc'), (error: AppError) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.status, 504);
      assert.equal(error.code, 'DEADLINE_EXCEEDED');
      assert.equal(error.messageKey, 'error.googleTimeout');
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= TIMEOUT_MS - 5 && elapsed < TIMEOUT_MS + 1_000, `gave up after ${Math.round(elapsed)} ms`);
    assert.equal(seen.length, 1);
  });

  it('when Google answers 500 INTERNAL to a GET, then it is retried and ends as 502 "Google is unavailable"', async () => {
    handle = (_req, res) => json(res, 500, { error: { code: 500, status: 'INTERNAL', message: 'Internal error encountered.' } });
    await assert.rejects(new PickerApi(config, 'token').listMediaItems('abc'), (error: AppError) => {
      assert.equal(error.status, 502);
      assert.equal(error.code, 'INTERNAL');
      assert.equal(error.messageKey, 'error.googleUnavailable');
      return true;
    });
    assert.equal(seen.length, 3);
  });

  it('when the sign-in code exchange meets a 503, then it is not retried: a code is good for one exchange', async () => {
    handle = (_req, res) => json(res, 503, { error: 'temporarily_unavailable' });
    await assert.rejects(new GoogleOAuth(config).exchangeCode('code-1', 'verifier'), (error: AppError) => error.status === 502);
    assert.equal(seen.length, 1);
  });

  it('when Google answers with a redirect, then it is not followed and the call fails with 502', async () => {
    handle = (req, res) => {
      if (req.url !== '/v1/sessions/abc') return json(res, 200, { id: 'elsewhere', pickerUri: 'x' });
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    };
    await assert.rejects(new PickerApi(config, 'token').getSession('abc'), (error: AppError) => error.status === 502);
    assert.deepEqual(seen.map((r) => r.url), ['/v1/sessions/abc']);
  });
});
