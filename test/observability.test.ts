import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPickerSession, startHarness, waitForStatus, type Harness } from './helpers/harness.ts';

describe('observability', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 } } });
  });
  after(() => h.close());

  it('when a request carries a well-formed X-Request-Id, then it is returned and in the log lines; otherwise one is made', async () => {
    const given = await fetch(`${h.url}/`, { headers: { 'x-request-id': 'lb-1234.abc' } });
    assert.equal(given.headers.get('x-request-id'), 'lb-1234.abc');
    assert.ok(h.logs.some((line) => line.includes('"reqId":"lb-1234.abc"')));
    const made = await fetch(`${h.url}/`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('when traffic flows, then /metrics shows request durations, Google calls, session events, refreshes and process metrics', async () => {
    const client = await h.signedInClient();
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count: 1 });
    await waitForStatus(client, id, 'complete');
    await client.delete(`/sessions/${id}`, { accept: 'json' });
    h.emulator.expireAccessTokens('alice@example.com');
    await createPickerSession(client);
    const response = await fetch(`${h.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.match(text, /http_request_duration_seconds_count\{method="POST",route="\/sessions",status="201"\} \d+/);
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/sessions\/:id",status="200"\} \d+/);
    assert.match(text, /google_call_duration_seconds_count\{method="sessions.create",outcome="ok"\} 2/);
    assert.match(text, /google_call_duration_seconds_count\{method="sessions.create",outcome="UNAUTHENTICATED"\} 1/);
    assert.match(text, /picker_sessions_total\{event="created"\} 2/);
    assert.match(text, /picker_sessions_total\{event="completed"\} 1/);
    assert.match(text, /picker_sessions_total\{event="deleted"\} 1/);
    assert.match(text, /google_token_refreshes_total\{outcome="success"\} 1/);
    assert.match(text, /process_resident_memory_bytes/);
    assert.doesNotMatch(text, /route="\/sessions\/[A-Za-z0-9_-]{10,}/, 'no raw ids as labels');
  });
});
