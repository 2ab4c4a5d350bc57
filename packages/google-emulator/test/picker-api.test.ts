import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createEmulator, directAccessToken, type Emulator } from '../src/index.ts';

interface GoogleErrorBody {
  error: { code: number; status: string; message: string; details?: Array<{ '@type': string; reason?: string; fieldViolations?: Array<{ field?: string; description: string }> }> };
}

describe('the emulator: Photos Picker API', () => {
  let emulator: Emulator;
  let alice: string;
  before(async () => {
    emulator = createEmulator({ librarySize: 300, knobs: { pollIntervalSeconds: 2.5 } });
    await emulator.listen();
    alice = await directAccessToken(emulator, 'alice@example.com');
  });
  after(() => emulator.close());

  const call = async (method: string, path: string, token: string | undefined = alice, body?: unknown) => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  const expectError = (answer: { status: number; body: Record<string, any> }, status: number, googleStatus: string) => {
    assert.equal(answer.status, status);
    const { error } = answer.body as GoogleErrorBody;
    assert.equal(error.code, status);
    assert.equal(error.status, googleStatus);
    assert.ok(error.message.length > 0);
  };

  it('when a session is created, then it has Google\'s fields, durations and timestamps', async () => {
    const { status, body } = await call('POST', '/v1/sessions', alice, { pickingConfig: { maxItemCount: '20' } });
    assert.equal(status, 200);
    assert.equal(body.pickerUri, `${emulator.url}/picker/${body.id}`);
    assert.deepEqual(body.pollingConfig, { pollInterval: '2.5s', timeoutIn: '1800s' });
    assert.match(body.expireTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(body.pickingConfig.maxItemCount, '20', 'int64 as a string');
    assert.equal(body.mediaItemsSet, false);
    const fresh = await call('POST', '/v1/sessions', alice, {});
    assert.equal(fresh.body.pickingConfig.maxItemCount, '2000');
  });

  it('when requestId is reused, then the same session comes back; when it is not a UUID v4, then INVALID_ARGUMENT', async () => {
    const requestId = randomUUID();
    const first = await call('POST', `/v1/sessions?requestId=${requestId}`);
    const second = await call('POST', `/v1/sessions?requestId=${requestId}`);
    assert.equal(first.body.id, second.body.id);
    expectError(await call('POST', '/v1/sessions?requestId=123'), 400, 'INVALID_ARGUMENT');
    expectError(await call('POST', '/v1/sessions', alice, { pickingConfig: { maxItemCount: 2001 } }), 400, 'INVALID_ARGUMENT');
    expectError(await call('POST', '/v1/sessions', alice, { pickingConfig: { maxItemCount: 0 } }), 400, 'INVALID_ARGUMENT');
  });

  const postBody = async (body: string, contentType = 'application/json') => {
    const response = await fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const violations = (answer: { body: Record<string, any> }) =>
    (answer.body as GoogleErrorBody).error.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest')?.fieldViolations;

  it('when the body or its pickingConfig is not a JSON object, then INVALID_ARGUMENT in Google\'s envelope and no session', async () => {
    const before = emulator.sessionsOf('alice@example.com').length;
    for (const json of ['[]', '[{"pickingConfig":{"maxItemCount":"5"}}]', '"session"', '42', 'null']) expectError(await postBody(json), 400, 'INVALID_ARGUMENT');
    for (const config of ['"5"', '5', '[]', 'true']) expectError(await postBody(`{"pickingConfig":${config}}`), 400, 'INVALID_ARGUMENT');
    for (const max of ['true', '[5]', '{"value":5}', '"five"', '2.5']) expectError(await postBody(`{"pickingConfig":{"maxItemCount":${max}}}`), 400, 'INVALID_ARGUMENT');
    assert.equal(emulator.sessionsOf('alice@example.com').length, before);
    assert.equal((await postBody('{"pickingConfig":{"maxItemCount":5}}')).body.pickingConfig.maxItemCount, '5');
    // proto3 JSON: the proto's own field names are read too, and null is the field's default.
    assert.equal((await postBody('{"picking_config":{"max_item_count":"7"}}')).body.pickingConfig.maxItemCount, '7');
    assert.equal((await postBody('{"pickingConfig":null}')).body.pickingConfig.maxItemCount, '2000');
  });

  // proto3 JSON parsing refuses names the message lacks (https://protobuf.dev/programming-guides/json/), and Google's
  // front end says so with google.rpc.BadRequest details (https://cloud.google.com/apis/design/errors#error_details),
  // for sessions.create's PickingSession (https://developers.google.com/photos/picker/reference/rest/v1/sessions/create).
  it('when sessions.create\'s body has a field a PickingSession lacks, then 400 INVALID_ARGUMENT naming it, unless the knob accepts it', async () => {
    const before = emulator.sessionsOf('alice@example.com').length;
    const top = await postBody('{"maxItemCount":"5"}');
    expectError(top, 400, 'INVALID_ARGUMENT');
    assert.equal((top.body as GoogleErrorBody).error.message, 'Invalid JSON payload received. Unknown name "maxItemCount": Cannot find field.');
    assert.deepEqual(violations(top), [{ description: 'Invalid JSON payload received. Unknown name "maxItemCount": Cannot find field.' }]);
    const nested = await postBody('{"pickingConfig":{"maxItemCount":"5","mimeTypes":["image/png"]}}');
    expectError(nested, 400, 'INVALID_ARGUMENT');
    assert.deepEqual(violations(nested), [{ field: 'picking_config', description: 'Invalid JSON payload received. Unknown name "mimeTypes" at \'picking_config\': Cannot find field.' }]);
    const wrongType = await postBody('{"pickingConfig":{"maxItemCount":true}}');
    assert.deepEqual(violations(wrongType), [{ field: 'picking_config.max_item_count', description: 'Invalid value at \'picking_config.max_item_count\' (TYPE_INT64), true' }]);
    assert.equal(emulator.sessionsOf('alice@example.com').length, before, 'no session was made');
    // Output-only fields are PickingSession's own: read, and ignored.
    assert.equal((await postBody('{"id":"mine","mediaItemsSet":true}')).body.mediaItemsSet, false);

    emulator.knobs.acceptUnknownFields = true;
    try {
      assert.equal((await postBody('{"pickingConfig":{"maxItemCount":"5","mimeTypes":["image/png"]}}')).status, 200);
    } finally {
      emulator.knobs.acceptUnknownFields = false;
    }
  });

  it('when sessions.create\'s body is not JSON, whatever its Content-Type, then 400 INVALID_ARGUMENT "Invalid JSON payload received." (https://cloud.google.com/apis/design/errors#error_details)', async () => {
    const before = emulator.sessionsOf('alice@example.com').length;
    for (const [body, type] of [['{"pickingConfig":', 'application/json'], ['not json', 'application/json'], ['maxItemCount=5', 'application/x-www-form-urlencoded'], ['{}}', 'text/plain']] as const) {
      const answer = await postBody(body, type);
      expectError(answer, 400, 'INVALID_ARGUMENT');
      assert.match((answer.body as GoogleErrorBody).error.message, /^Invalid JSON payload received\. /, body);
      assert.equal(violations(answer)?.length, 1, body);
    }
    assert.equal(emulator.sessionsOf('alice@example.com').length, before);
    assert.equal((await postBody('')).status, 200, 'an empty body is the empty message');
  });

  it('when the token is missing, invalid or lacks the scope, then 401 UNAUTHENTICATED or 403 PERMISSION_DENIED', async () => {
    const missing = await call('GET', '/v1/sessions/x', '');
    expectError(missing, 401, 'UNAUTHENTICATED');
    assert.equal((missing.body as GoogleErrorBody).error.details?.[0]?.reason, 'CREDENTIALS_MISSING');
    const invalid = await call('GET', '/v1/sessions/x', 'ya29.forged');
    expectError(invalid, 401, 'UNAUTHENTICATED');
    assert.match(invalid.headers.get('www-authenticate') ?? '', /invalid_token/);

    const page = await (await fetch(`${emulator.url}/o/oauth2/v2/auth?client_id=direct-test-client&redirect_uri=${encodeURIComponent('http://127.0.0.1/direct-callback')}&response_type=code&scope=openid%20email`)).text();
    const transaction = page.match(/name="transaction" value="([^"]+)"/)![1]!;
    const decision = await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ transaction, account: 'alice@example.com', decision: 'allow', scope: 'openid' }) });
    const code = new URL(decision.headers.get('location')!).searchParams.get('code')!;
    const tokens = await (await fetch(`${emulator.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1/direct-callback', client_id: 'direct-test-client', client_secret: 'direct-secret' }) })).json() as { access_token: string };
    const noScope = await call('POST', '/v1/sessions', tokens.access_token);
    expectError(noScope, 403, 'PERMISSION_DENIED');
    assert.equal((noScope.body as GoogleErrorBody).error.details?.[0]?.reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    assert.match(noScope.headers.get('www-authenticate') ?? '', /^Bearer .*error="insufficient_scope", scope="https:\/\/www\.googleapis\.com\/auth\/photospicker\.mediaitems\.readonly"/);
  });

  // A 401 carries the Bearer challenge even without a token (https://datatracker.ietf.org/doc/html/rfc6750#section-3), as
  // Google's APIs send it beside the UNAUTHENTICATED envelope (https://cloud.google.com/apis/design/errors#handling_errors;
  // the header's exact value is not on a Google page: it is the one seen from googleapis.com).
  it('when a Picker or userinfo call comes without a token, then the 401 carries WWW-Authenticate: Bearer with Google\'s realm and no error', async () => {
    for (const path of ['/v1/sessions/x', '/v1/mediaItems?sessionId=x', '/oauth2/v2/userinfo', '/v1/userinfo']) {
      const response = await fetch(`${emulator.url}${path}`);
      assert.equal(response.status, 401, path);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="https://accounts.google.com/"', path);
    }
    const forged = await fetch(`${emulator.url}/v1/sessions/x`, { headers: { authorization: 'Bearer ya29.forged' } });
    assert.equal(forged.headers.get('www-authenticate'), 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
  });

  it('when the account has no Google Photos, then FAILED_PRECONDITION; past the session cap, RESOURCE_EXHAUSTED', async () => {
    expectError(await call('POST', '/v1/sessions', await directAccessToken(emulator, 'carol@example.com')), 400, 'FAILED_PRECONDITION');
    const bob = await directAccessToken(emulator, 'bob@example.com');
    emulator.knobs.maxOpenSessionsPerUser = 2;
    try {
      const first = await call('POST', '/v1/sessions', bob);
      await call('POST', '/v1/sessions', bob);
      expectError(await call('POST', '/v1/sessions', bob), 429, 'RESOURCE_EXHAUSTED');
      assert.deepEqual(await call('DELETE', `/v1/sessions/${first.body.id}`, bob).then((a) => [a.status, a.body]), [200, {}]);
      assert.equal((await call('POST', '/v1/sessions', bob)).status, 200, 'deleting frees a place');
    } finally {
      emulator.knobs.maxOpenSessionsPerUser = 10;
    }
  });

  it('when the session cap is reached, then deleting one or letting one expire makes room for exactly one more', async () => {
    const bob = await directAccessToken(emulator, 'bob@example.com');
    for (const open of emulator.sessionsOf('bob@example.com').filter((s) => !s.deleted)) await call('DELETE', `/v1/sessions/${open.id}`, bob);
    emulator.knobs.maxOpenSessionsPerUser = 2;
    try {
      const first = (await call('POST', '/v1/sessions', bob)).body.id as string;
      assert.equal((await call('POST', '/v1/sessions', bob)).status, 200);
      expectError(await call('POST', '/v1/sessions', bob), 429, 'RESOURCE_EXHAUSTED');
      await call('DELETE', `/v1/sessions/${first}`, bob);
      const third = (await call('POST', '/v1/sessions', bob)).body.id as string;
      expectError(await call('POST', '/v1/sessions', bob), 429, 'RESOURCE_EXHAUSTED');
      emulator.expireSession(third);
      assert.equal((await call('POST', '/v1/sessions', bob)).status, 200);
      expectError(await call('POST', '/v1/sessions', bob), 429, 'RESOURCE_EXHAUSTED');
    } finally {
      emulator.knobs.maxOpenSessionsPerUser = 10;
    }
  });

  it('when a session is unknown, another user\'s, deleted or expired, then NOT_FOUND or PERMISSION_DENIED', async () => {
    const bob = await directAccessToken(emulator, 'bob@example.com');
    emulator.knobs.maxOpenSessionsPerUser = 1000;
    const { body } = await call('POST', '/v1/sessions', alice);
    expectError(await call('GET', '/v1/sessions/nope'), 404, 'NOT_FOUND');
    expectError(await call('GET', `/v1/sessions/${body.id}`, bob), 404, 'NOT_FOUND');
    expectError(await call('DELETE', `/v1/sessions/${body.id}`, bob), 404, 'NOT_FOUND');
    const other = await call('POST', '/v1/sessions', alice);
    emulator.expireSession(other.body.id);
    expectError(await call('GET', `/v1/sessions/${other.body.id}`), 403, 'PERMISSION_DENIED');
    expectError(await call('GET', `/v1/mediaItems?sessionId=${other.body.id}`), 403, 'PERMISSION_DENIED');
    await call('DELETE', `/v1/sessions/${body.id}`);
    expectError(await call('GET', `/v1/sessions/${body.id}`), 404, 'NOT_FOUND');
    expectError(await call('DELETE', `/v1/sessions/${body.id}`), 404, 'NOT_FOUND');
  });

  it('when the user has not pressed Done, then mediaItems.list is FAILED_PRECONDITION; after Done pollingConfig disappears', async () => {
    const { body } = await call('POST', '/v1/sessions', alice);
    expectError(await call('GET', `/v1/mediaItems?sessionId=${body.id}`), 400, 'FAILED_PRECONDITION');
    emulator.pick(body.id, { count: 3 });
    const done = await call('GET', `/v1/sessions/${body.id}`);
    assert.equal(done.body.mediaItemsSet, true);
    assert.equal(done.body.pollingConfig, undefined);
  });

  it('when the picking timeout passes, then timeoutIn counts down to "0s"', async () => {
    emulator.knobs.pickingTimeoutSeconds = 1;
    try {
      const { body } = await call('POST', '/v1/sessions', alice);
      assert.equal(body.pollingConfig.timeoutIn, '1s');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.equal((await call('GET', `/v1/sessions/${body.id}`)).body.pollingConfig.timeoutIn, '0s');
    } finally {
      emulator.knobs.pickingTimeoutSeconds = 1800;
    }
  });

  it('when 300 picked items are listed, then pages of 50 by default and at most 100 return each item exactly once', async () => {
    const { body } = await call('POST', '/v1/sessions', alice);
    emulator.pick(body.id, { count: 300 });
    for (const [pageSize, expectedPages, perPage] of [[undefined, 6, 50], [100, 3, 100], [500, 3, 100]] as const) {
      const ids: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const query = new URLSearchParams({ sessionId: body.id, ...(pageSize ? { pageSize: String(pageSize) } : {}), ...(pageToken ? { pageToken } : {}) });
        const page = await call('GET', `/v1/mediaItems?${query}`);
        assert.equal(page.status, 200);
        assert.ok(page.body.mediaItems.length <= perPage);
        ids.push(...page.body.mediaItems.map((item: { id: string }) => item.id));
        pageToken = page.body.nextPageToken;
        pages++;
      } while (pageToken);
      assert.equal(pages, expectedPages, `pageSize ${pageSize}`);
      assert.equal(ids.length, 300);
      assert.equal(new Set(ids).size, 300);
    }
    expectError(await call('GET', `/v1/mediaItems?sessionId=${body.id}&pageSize=-1`), 400, 'INVALID_ARGUMENT');
    expectError(await call('GET', `/v1/mediaItems?sessionId=${body.id}&pageToken=forged`), 400, 'INVALID_ARGUMENT');
  });

  it('when items are listed, then each is a PickedMediaItem with persistent ids and photo or video metadata', async () => {
    const list = async () => {
      const { body } = await call('POST', '/v1/sessions', alice);
      emulator.pick(body.id, { count: 8 });
      return (await call('GET', `/v1/mediaItems?sessionId=${body.id}`)).body.mediaItems as Array<Record<string, any>>;
    };
    const [first, second] = [await list(), await list()];
    assert.deepEqual(first.map((i) => i.id), second.map((i) => i.id), 'ids persist across sessions');
    assert.notEqual(first[0]!.mediaFile.baseUrl, second[0]!.mediaFile.baseUrl, 'baseUrls are per listing');
    const photo = first.find((i) => i.type === 'PHOTO')!;
    assert.ok(photo.mediaFile.mediaFileMetadata.photoMetadata);
    assert.equal(typeof photo.mediaFile.mediaFileMetadata.width, 'number');
    const videos = first.filter((i) => i.type === 'VIDEO');
    assert.deepEqual(videos.map((v) => v.mediaFile.mediaFileMetadata.videoMetadata.processingStatus).sort(), ['PROCESSING', 'READY']);
    for (const item of first) assert.match(item.createTime, /Z$/);
  });

  it('when a fault is injected, then it is answered as configured, consumed, and logged', async () => {
    emulator.clearRequests();
    emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 503, retryAfterSeconds: 3, times: 2 });
    for (let i = 0; i < 2; i++) {
      const failed = await call('POST', '/v1/sessions');
      expectError(failed, 503, 'UNAVAILABLE');
      assert.equal(failed.headers.get('retry-after'), '3');
    }
    assert.equal((await call('POST', '/v1/sessions')).status, 200);
    emulator.injectFault({ path: '/v1/sessions', delayMs: 300 });
    const started = Date.now();
    assert.equal((await call('POST', '/v1/sessions')).status, 200);
    assert.ok(Date.now() - started >= 290);
    assert.deepEqual(emulator.requests.map((r) => r.status), [503, 503, 200, 200]);
    assert.ok(emulator.requests.every((r) => r.kind === 'picker' && r.authorization === 'valid' && r.account === 'alice@example.com'));

    emulator.injectFault({ path: '/v1/sessions', hang: true });
    await assert.rejects(fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, signal: AbortSignal.timeout(300) }));
  });

  it('when sessions are polled, then the log counts each session\'s sessions.get, in process and over HTTP', async () => {
    emulator.clearRequests();
    const [one, two] = [(await call('POST', '/v1/sessions')).body.id as string, (await call('POST', '/v1/sessions')).body.id as string];
    for (let i = 0; i < 3; i++) await call('GET', `/v1/sessions/${one}`);
    await call('GET', `/v1/sessions/${two}`);
    await call('DELETE', `/v1/sessions/${one}`);
    await call('DELETE', `/v1/sessions/${two}`);
    const polls = (id: string) => emulator.requests.filter((r) => r.method === 'GET' && r.path === `/v1/sessions/${id}`).length;
    assert.deepEqual([polls(one), polls(two)], [3, 1]);
    const overHttp = (await (await fetch(`${emulator.url}/__emulator/requests?method=get&path=${encodeURIComponent(`/v1/sessions/${one}`)}`)).json()) as unknown[];
    assert.equal(overHttp.length, 3);
  });

  it('when controlled over HTTP, then knobs, faults and the log answer under /__emulator/', async () => {
    const knobs = await (await fetch(`${emulator.url}/__emulator/knobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 0, pollIntervalSeconds: 7, alwaysShowConsent: true, acceptUnknownFields: 'yes' }),
    })).json() as { pollIntervalSeconds: number; alwaysShowConsent: boolean; acceptUnknownFields: boolean };
    assert.deepEqual([knobs.pollIntervalSeconds, knobs.alwaysShowConsent, knobs.acceptUnknownFields], [7, true, false], 'a value of the wrong type is ignored');
    emulator.knobs.alwaysShowConsent = false;
    await fetch(`${emulator.url}/__emulator/requests`, { method: 'DELETE' });
    const { body } = await call('POST', '/v1/sessions');
    assert.equal(body.pollingConfig.pollInterval, '7s');
    assert.equal((await fetch(`${emulator.url}/__emulator/sessions/${body.id}/pick`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":2}' })).status, 204);
    assert.equal((await call('GET', `/v1/sessions/${body.id}`)).body.mediaItemsSet, true);
    const log = await (await fetch(`${emulator.url}/__emulator/requests`)).json() as Array<{ path: string }>;
    assert.deepEqual(log.map((r) => r.path), ['/v1/sessions', `/v1/sessions/${body.id}`]);
    emulator.knobs.pollIntervalSeconds = 2.5;
  });
});
