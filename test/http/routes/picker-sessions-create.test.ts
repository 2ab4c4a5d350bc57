import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../helpers/harness.ts';

// The stores of one process: what several requests change at once must hold on disk as in memory.
for (const store of ['memory', 'embedded'] as const)
describe(`POST /sessions (the ${store} store)`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { UPSTREAM_TIMEOUT_MS: '1500', SESSION_STORE: store } });
  });
  after(() => h.close());
  beforeEach(() => {
    h.emulator.clearFaults();
    h.emulator.clearRequests();
  });

  const createCalls = () => h.emulator.requests.filter((r) => r.method === 'POST' && r.path === '/v1/sessions');

  it('when a signed-in browser posts the form, then it is sent (303) to the pickerUri exactly as Google returned it', async () => {
    const client = await h.signedInClient();
    const response = await client.post('/sessions', { form: {} });
    assert.equal(response.status, 303);
    const location = response.headers.get('location')!;
    const [created] = h.emulator.sessionsOf('alice@example.com').slice(-1);
    assert.equal(location, `${h.emulator.url}/picker/${created!.id}`);
  });

  it('when a JSON client creates one, then it gets 201, a Location and the session', async () => {
    const client = await h.signedInClient();
    const response = await client.post('/sessions', { accept: 'json', json: { maxItemCount: 5 } });
    assert.equal(response.status, 201);
    const body = await response.json();
    assert.equal(response.headers.get('location'), `/sessions/${body.id}`);
    assert.deepEqual(Object.keys(body).sort(), ['expireTime', 'id', 'mediaItemsSet', 'pickerUri', 'pickingConfig', 'pollingConfig']);
    assert.equal(body.mediaItemsSet, false);
    assert.equal(body.pickingConfig.maxItemCount, '5');
    assert.match(body.pollingConfig.pollInterval, /^\d+(\.\d+)?s$/);
    assert.ok(Date.parse(body.expireTime) > Date.now());
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('etag'), null, 'a per-user no-store answer needs no ETag');
  });

  it('when one user sends 8 creations at once, then all 8 are theirs', async () => {
    const client = await h.signedInClient({ account: 'bob@example.com' });
    h.emulator.knobs.maxOpenSessionsPerUser = 50;
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => client.post('/sessions', { accept: 'json', json: {} })));
      assert.deepEqual(answers.map((a) => a.status), Array(8).fill(201));
      const ids = await Promise.all(answers.map(async (a) => (await a.json()).id as string));
      const polls = await Promise.all(ids.map((id) => client.get(`/sessions/${id}`, { accept: 'json' })));
      assert.deepEqual(polls.map((p) => p.status), Array(8).fill(200));
      const deletions = await Promise.all(ids.map((id) => client.delete(`/sessions/${id}`)));
      assert.deepEqual(deletions.map((d) => d.status), Array(8).fill(204));
      assert.equal(h.emulator.sessionsOf('bob@example.com').filter((s) => !s.deleted).length, 0, 'nothing is left open at Google');
    } finally {
      h.emulator.knobs.maxOpenSessionsPerUser = 10;
    }
  });

  it('when requestId and maxItemCount are valid, then both reach Google', async () => {
    const client = await h.signedInClient();
    const requestId = randomUUID();
    const response = await client.post('/sessions', { accept: 'json', form: { maxItemCount: '12', requestId } });
    assert.equal(response.status, 201);
    const [call] = createCalls();
    assert.equal(call?.query.requestId, requestId);
    assert.equal((await response.json()).pickingConfig.maxItemCount, '12');
  });

  for (const [name, body] of [
    ['requestId is not a UUID v4', { requestId: 'not-a-uuid' }],
    ['requestId is a UUID v1', { requestId: 'c232ab00-9414-11ec-b3c8-9f6bdeced846' }],
    ['maxItemCount is 0', { maxItemCount: 0 }],
    ['maxItemCount is 2001', { maxItemCount: 2001 }],
    ['maxItemCount is not a number', { maxItemCount: 'many' }],
    ['maxItemCount is a fraction', { maxItemCount: 1.5 }],
  ] as const) {
    it(`when ${name}, then it answers 400 before any Google call`, async () => {
      const client = await h.signedInClient();
      h.emulator.clearRequests();
      const response = await client.post('/sessions', { accept: 'json', json: body });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const problem = await response.json();
      assert.equal(problem.code, 'INVALID_ARGUMENT');
      assert.equal(problem.status, 400);
      assert.ok(problem.title && problem.detail && problem.type);
      assert.equal(createCalls().length, 0);
    });
  }

  it('when the form has a bad maxItemCount, then the page shows the problem and keeps what was typed', async () => {
    const client = await h.signedInClient();
    const response = await client.post('/sessions', { form: { maxItemCount: '5000' } });
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /aria-invalid="true"/);
    assert.match(html, /value="5000"/);
    assert.match(html, /whole number from 1 to 2000/);
    assert.equal(createCalls().length, 0);
  });

  it('when nobody is signed in, then JSON gets 401 and a browser is sent to sign in', async () => {
    const client = h.client();
    const api = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(api.status, 401);
    assert.equal((await api.json()).code, 'UNAUTHENTICATED');
    const page = await client.post('/sessions', { form: {} });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/auth/google?return_to=%2F');
  });

  it('when the account has no Google Photos, then 409 FAILED_PRECONDITION and a page that says so', async () => {
    const client = await h.signedInClient({ account: 'carol@example.com' });
    const api = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(api.status, 409);
    assert.equal((await api.json()).code, 'FAILED_PRECONDITION');
    const page = await client.post('/sessions', { form: {} });
    assert.equal(page.status, 409);
    assert.match(await page.text(), /No Google Photos account/);
  });

  it('when Google says RESOURCE_EXHAUSTED and nothing is stale, then 429 with Retry-After after one retry', async () => {
    const client = await h.signedInClient({ account: 'bob@example.com' });
    h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 429, retryAfterSeconds: 7, times: 4 });
    const response = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.equal((await response.json()).code, 'RESOURCE_EXHAUSTED');
    assert.equal(createCalls().length, 2);
    const page = await client.post('/sessions', { form: {} });
    assert.equal(page.status, 429);
    assert.match(await page.text(), /Too many open picking sessions/);
  });

  it('when Google fails with a 5xx, then 502; when it is too slow, then 504', async () => {
    const client = await h.signedInClient();
    h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 503 });
    const failed = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(failed.status, 502);
    assert.equal((await failed.json()).code, 'UNAVAILABLE');

    h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', hang: true });
    const slow = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(slow.status, 504);
    assert.equal((await slow.json()).code, 'DEADLINE_EXCEEDED');
    const page = await client.post('/sessions', { form: {} }); // the fault is spent: works again
    assert.equal(page.status, 303);
    const failures = h.logs.filter((line) => line.includes('"level":50'));
    assert.ok(failures.length >= 2, 'upstream failures are logged as errors');
    assert.doesNotMatch(failures.join('\n'), /ya29\.|Bearer |authorization/i, 'without the token');
  });

  it('when the access token has expired at Google, then the gateway refreshes once and the call succeeds', async () => {
    const client = await h.signedInClient();
    h.emulator.expireAccessTokens('alice@example.com');
    h.emulator.clearRequests();
    const response = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(response.status, 201);
    const calls = h.emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.deepEqual(calls, ['POST /v1/sessions 401', 'POST /token 200', 'POST /v1/sessions 200']);
  });

  it('when the access token is about to expire, then it is refreshed before the call', async () => {
    h.emulator.knobs.accessTokenTtlSeconds = 30; // inside the gateway's refresh margin
    try {
      const client = await h.signedInClient();
      h.emulator.clearRequests();
      assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 201);
      assert.deepEqual(h.emulator.requests.map((r) => `${r.method} ${r.path}`), ['POST /token', 'POST /v1/sessions']);
    } finally {
      h.emulator.knobs.accessTokenTtlSeconds = 3599;
    }
  });

  it('when Google revoked the grant (invalid_grant), then the user is signed out and asked to connect again', async () => {
    const client = await h.signedInClient({ account: 'bob@example.com' });
    h.emulator.revokeGrants('bob@example.com');
    h.emulator.expireAccessTokens('bob@example.com');
    const response = await client.post('/sessions', { form: {} });
    assert.equal(response.status, 401);
    const html = await response.text();
    assert.match(html, /signed out by Google/);
    assert.match(html, /href="\/auth\/google"/);
    const home = await (await client.get('/')).text();
    assert.doesNotMatch(home, /bob@example\.com/);
  });
});
