import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { backoffDelayMs } from '../../../src/adapters/google/retry.ts';
import { createPickerSession, startHarness, type Client, type Harness } from '../../helpers/harness.ts';

/** Runs `call` with the clock moved past the 1 s poll interval, so the gateway asks Google again. */
async function pastPollInterval<T>(call: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_050 });
  try {
    return await call();
  } finally {
    mock.timers.reset();
  }
}

describe('resilient Google calls', () => {
  let h: Harness;
  let alice: Client;
  before(async () => {
    h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 } } });
    alice = await h.signedInClient();
  });
  after(() => h.close());
  beforeEach(() => {
    h.emulator.clearFaults();
    h.emulator.clearRequests();
  });

  it('when an idempotent GET meets 503s, then it is retried with backoff and succeeds', async () => {
    const id = await createPickerSession(alice);
    h.emulator.clearRequests();
    h.emulator.injectFault({ method: 'GET', path: `/v1/sessions/${id}`, status: 503, times: 2 });
    const response = await pastPollInterval(() => alice.get(`/sessions/${id}`, { accept: 'json' }));
    assert.equal(response.status, 200);
    assert.deepEqual(h.emulator.requests.map((r) => `${r.method} ${r.status}`), ['GET 503', 'GET 503', 'GET 200']);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    assert.match(metrics, /google_call_retries_total\{method="GET"\} 2/);
  });

  it('when Google answers 429 with Retry-After to a DELETE, then the retry waits for it', async () => {
    const id = await createPickerSession(alice);
    h.emulator.clearRequests();
    h.emulator.injectFault({ method: 'DELETE', path: `/v1/sessions/${id}`, status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    assert.equal((await alice.delete(`/sessions/${id}`, { accept: 'json' })).status, 204);
    const calls = h.emulator.requests.filter((r) => r.method === 'DELETE');
    assert.equal(calls.length, 2);
    assert.ok(calls[1]!.at - calls[0]!.at >= 950, 'waited for Retry-After');
    assert.ok(Date.now() - started < 5_000);
  });

  it('when a POST meets a 503, then it is not retried', async () => {
    h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 503 });
    assert.equal((await alice.post('/sessions', { accept: 'json', json: {} })).status, 502);
    assert.equal(h.emulator.requests.filter((r) => r.path === '/v1/sessions').length, 1);
  });

  it('when retries give up, then the client gets 502 after three attempts', async () => {
    const id = await createPickerSession(alice);
    h.emulator.clearRequests();
    h.emulator.injectFault({ method: 'GET', path: `/v1/sessions/${id}`, status: 500, times: 5 });
    assert.equal((await pastPollInterval(() => alice.get(`/sessions/${id}`, { accept: 'json' }))).status, 502);
    assert.equal(h.emulator.requests.length, 3);
  });

  it('when many requests need a fresh token at once, then the token is refreshed once', async () => {
    h.emulator.knobs.accessTokenTtlSeconds = 30; // inside the refresh margin: every request wants a refresh
    try {
      const client = await h.signedInClient({ account: 'bob@example.com' });
      await client.refreshCsrf();
      h.emulator.clearRequests();
      // One stored token, expiring: every request below asks for a refresh while the first is still in flight.
      h.emulator.injectFault({ path: '/token', delayMs: 300 });
      const created = await Promise.all(Array.from({ length: 6 }, () => client.post('/sessions', { accept: 'json', json: {} })));
      assert.ok(created.every((r) => r.status === 201), created.map((r) => r.status).join(','));
      const refreshes = h.emulator.requests.filter((r) => r.path === '/token');
      assert.equal(refreshes.length, 1, `refreshed ${refreshes.length} times`);
    } finally {
      h.emulator.knobs.accessTokenTtlSeconds = 3599;
    }
  });

  it('then the backoff is exponential with full jitter and honours Retry-After', () => {
    assert.equal(backoffDelayMs(0, undefined, () => 1), 200);
    assert.equal(backoffDelayMs(1, undefined, () => 1), 400);
    assert.equal(backoffDelayMs(3, undefined, () => 0.5), 800);
    assert.equal(backoffDelayMs(10, undefined, () => 1), 5_000);
    assert.equal(backoffDelayMs(0, 2), 2_000);
  });
});
