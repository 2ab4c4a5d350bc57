import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { createPickRequest, MAX_LIFETIME_SECONDS, type PickRequestOptions } from '@photos-picker-gateway/host-app-client';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const keyBytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
const options: PickRequestOptions = {
  appId: 'print-shop',
  secret,
  gatewayUrl: 'https://gateway.example',
  sub: 'customer-1',
  returnTo: 'https://shop.example/return?from=photos',
};

describe('createPickRequest', () => {
  it('when a request is made, then it is an HS256 JWT keyed with the secret\'s bytes, for the gateway, living the longest allowed', async () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const made = await createPickRequest({ ...options, now });
    assert.deepEqual(decodeProtectedHeader(made.request), { alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(made.request, keyBytes, { algorithms: ['HS256'], currentDate: now, issuer: 'print-shop', audience: 'https://gateway.example' });
    assert.equal(payload.sub, 'customer-1');
    assert.equal(payload.return_to, 'https://shop.example/return?from=photos');
    assert.equal(payload.iat, now.getTime() / 1000);
    assert.equal(payload.exp! - payload.iat!, MAX_LIFETIME_SECONDS);
    assert.equal(MAX_LIFETIME_SECONDS, 600);
    assert.equal(made.expiresAt.getTime(), (payload.exp!) * 1000);
    assert.equal(payload.jti, made.jti);
    for (const absent of ['state', 'account', 'max_items']) assert.ok(!(absent in payload), `${absent} is left out when not given`);
    await assert.rejects(jwtVerify(made.request, new TextEncoder().encode(secret), { algorithms: ['HS256'], currentDate: now }), 'keyed with the bytes, not the text');
  });

  it('when state, account and maxItems are given, then they are the claims state, account and max_items', async () => {
    const made = await createPickRequest({ ...options, state: 'st-1', account: 'ana@printshop', maxItems: 20, lifetimeSeconds: 120 });
    const { payload } = await jwtVerify(made.request, keyBytes);
    assert.equal(payload.state, 'st-1');
    assert.equal(payload.account, 'ana@printshop');
    assert.equal(payload.max_items, 20);
    assert.equal(payload.exp! - payload.iat!, 120);
  });

  it('when two requests are made for the same user, then each has its own jti', async () => {
    const [a, b] = await Promise.all([createPickRequest(options), createPickRequest(options)]);
    assert.notEqual(a.jti, b.jti);
    assert.match(a.jti, /^[0-9a-f-]{36}$/);
  });

  it('when the link is built, then it is {gatewayUrl}/pick with the app and the request, with or without a trailing slash', async () => {
    for (const gatewayUrl of ['https://gateway.example', 'https://gateway.example/']) {
      const made = await createPickRequest({ ...options, gatewayUrl });
      const url = new URL(made.url);
      assert.equal(url.origin + url.pathname, 'https://gateway.example/pick');
      assert.equal(url.searchParams.get('app'), 'print-shop');
      assert.equal(url.searchParams.get('request'), made.request);
    }
  });

  for (const [what, bad] of [
    ['a secret without whsec_', { secret: 'not-a-secret' }],
    ['an empty sub', { sub: '' }],
    ['a sub of 257 characters', { sub: 's'.repeat(257) }],
    ['a state of 513 characters', { state: 'x'.repeat(513) }],
    ['an account of 101 characters', { account: 'a'.repeat(101) }],
    ['an empty account', { account: '' }],
    ['maxItems 0', { maxItems: 0 }],
    ['maxItems 2001', { maxItems: 2001 }],
    ['a lifetime over 600 s', { lifetimeSeconds: 601 }],
    ['a relative returnTo', { returnTo: '/return' }],
    ['a returnTo that is not http(s)', { returnTo: 'javascript:alert(1)' }],
  ] as const) {
    it(`when given ${what}, then it refuses before signing anything, saying which input`, async () => {
      await assert.rejects(createPickRequest({ ...options, ...bad } as PickRequestOptions), (error: Error) => {
        assert.ok(error instanceof TypeError || error instanceof RangeError, String(error));
        assert.ok(!error.message.includes(secret), 'the secret is not in the message');
        return true;
      });
    });
  }
});
