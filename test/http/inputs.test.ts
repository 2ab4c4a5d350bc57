import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  callbackQuery, contentQuery, createSessionInput, integerLiteralsOnly, invalidInput, mediaItemIdParam, mediaItemsQuery, pickerSessionIdParam,
} from '../../src/http/inputs.ts';
import { createPickerSession, startHarness, type Client, type Harness } from '../helpers/harness.ts';

const fromJson = (text: string) => JSON.parse(text, integerLiteralsOnly) as unknown;

describe('request inputs', () => {
  it('when maxItemCount arrives as anything but a decimal integer, then it is refused', () => {
    for (const maxItemCount of [true, [7], '0x10', ' 12 ', '12.0', '1e3', '+12', '-1', 0, 2001, 1.5, Number.NaN, '١٢', '0'.repeat(20) + '1']) {
      assert.equal(createSessionInput.safeParse({ maxItemCount }).success, false, JSON.stringify(maxItemCount));
    }
  });

  it('when maxItemCount is digits (a form) or a whole number (JSON), then it is read as that number; blank or absent is no limit', () => {
    const maxItemCount = (body: unknown) => createSessionInput.parse(body).maxItemCount;
    assert.equal(maxItemCount({ maxItemCount: '12' }), 12);
    assert.equal(maxItemCount({ maxItemCount: '007' }), 7);
    assert.equal(maxItemCount({ maxItemCount: 2000 }), 2000);
    assert.equal(maxItemCount({ maxItemCount: null }), undefined);
    assert.deepEqual({ ...createSessionInput.parse({ maxItemCount: '', requestId: '' }) }, { maxItemCount: undefined, requestId: undefined });
    assert.equal(maxItemCount({}), undefined);
  });

  it('when a JSON number is not written as a plain integer, then the reviver makes it something every schema refuses', () => {
    assert.equal(JSON.parse('2000.0000000000001'), 2000, 'what JSON.parse alone makes of it');
    for (const literal of ['2000.0000000000001', '2000.0', '2e3', '2E3', '-0.0']) {
      const body = fromJson(`{"maxItemCount":${literal}}`);
      assert.equal(createSessionInput.safeParse(body).success, false, literal);
    }
    assert.deepEqual(fromJson('{"maxItemCount":12,"nested":[1,-3,{"n":0}]}'), { maxItemCount: 12, nested: [1, -3, { n: 0 }] });
    assert.equal(createSessionInput.parse(fromJson('{"maxItemCount":12}')).maxItemCount, 12);
  });

  it('when query numbers are anything but digits, or a parameter is repeated, then the query is refused', () => {
    for (const query of [{ pageSize: '0x2' }, { pageSize: '0' }, { pageSize: '101' }, { pageSize: ' 5' }, { pageSize: ['1', '2'] }, { pageToken: ['a', 'b'] }, { pageToken: 'x'.repeat(513) }]) {
      assert.equal(mediaItemsQuery.safeParse(query).success, false, JSON.stringify(query));
    }
    for (const query of [{ w: '16384' }, { h: '0' }, { w: '1.5' }, { w: ['1', '2'] }, { crop: 'yes' }, { download: ['1', '1'] }]) {
      assert.equal(contentQuery.safeParse(query).success, false, JSON.stringify(query));
    }
    assert.equal(callbackQuery.safeParse({ state: ['a', 'b'] }).success, false);
    assert.deepEqual({ ...mediaItemsQuery.parse({ pageSize: '100', pageToken: 'next' }) }, { pageSize: 100, pageToken: 'next' });
    assert.deepEqual({ ...contentQuery.parse({ w: '16383', h: '1', crop: '1', download: '0' }) }, { w: 16383, h: 1, crop: '1', download: '0' });
  });

  it('when an id is empty, too long, or not visible ASCII, then it is refused', () => {
    for (const schema of [pickerSessionIdParam, mediaItemIdParam]) {
      for (const id of ['', 'a'.repeat(513), 'a b', 'a\u0000', 'é', ['x']]) assert.equal(schema.safeParse(id).success, false, JSON.stringify(id));
      assert.equal(schema.parse('AF1QipN-x_y.z~'), 'AF1QipN-x_y.z~');
    }
  });

  it('when inputs are refused, then the error is a 400 INVALID_ARGUMENT naming each input once', () => {
    const result = createSessionInput.safeParse({ maxItemCount: 'many', requestId: 'nope' });
    assert.ok(!result.success);
    const error = invalidInput(result.error);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.equal(error.detail, 'maxItemCount must be a whole number from 1 to 2000; requestId must be a UUID version 4');
  });
});

describe('request inputs over HTTP', () => {
  let h: Harness;
  let alice: Client;
  before(async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'warn', RATE_LIMIT_SESSIONS: '100000' } });
    alice = await h.signedInClient();
    await alice.refreshCsrf();
  });
  after(() => h.close());

  /** Sends the JSON text as written: the harness would serialise a value, and JSON.stringify writes no `2000.0000000000001`. */
  const postJson = (body: string) =>
    fetch(`${h.url}/sessions`, {
      method: 'POST',
      headers: {
        accept: 'application/json', 'content-type': 'application/json', origin: h.url, 'x-csrf-token': alice.csrfToken!,
        cookie: [...alice.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
      body,
    });

  it('when a JSON maxItemCount is a fraction JSON.parse rounds, a boolean, an array or a hex string, then 400 before any Google call', async () => {
    h.emulator.clearRequests();
    for (const value of ['2000.0000000000001', 'true', '[7]', '"0x10"', '" 12 "']) {
      const response = await postJson(`{"maxItemCount":${value}}`);
      assert.equal(response.status, 400, value);
      assert.equal(((await response.json()) as { code: string }).code, 'INVALID_ARGUMENT');
    }
    assert.equal(h.emulator.requests.filter((r) => r.method === 'POST' && r.path === '/v1/sessions').length, 0);
  });

  it('when a query number is hex or a query parameter is repeated, then 400, never a 5xx', async () => {
    const id = await createPickerSession(alice);
    for (const query of ['pageSize=0x2', 'pageSize=1&pageSize=2', 'pageToken=a&pageToken=b']) {
      assert.equal((await alice.get(`/sessions/${id}/media-items?${query}`, { accept: 'json' })).status, 400, query);
    }
    for (const query of ['w=1&w=2', 'crop=1&crop=0', 'h=0x10']) {
      assert.equal((await alice.get(`/sessions/${id}/media-items/x/content?${query}`, { accept: 'json' })).status, 400, query);
    }
    assert.equal((await alice.get('/auth/google/callback?state=a&state=b', { accept: 'json' })).status, 400);
  });
});
