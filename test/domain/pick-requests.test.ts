import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { SignJWT, base64url } from 'jose';
import { MemorySharedStore } from '../../src/adapters/memory/shared-store.ts';
import { secretKey, type HostApp } from '../../src/domain/host-apps.ts';
import { InvalidPickRequest, PickRequests } from '../../src/domain/pick-requests.ts';
import { silentLogger } from './fakes.ts';

const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;
const shop: HostApp = { id: 'shop', name: 'Print Shop', secrets: [whsec(), whsec()], returnOrigins: ['https://app.example'], maxItems: 50 };
const other: HostApp = { id: 'school', name: 'School', secrets: [whsec()], returnOrigins: ['https://school.example'], maxItems: 2000 };
const AUDIENCE = 'https://gateway.example/';

interface Claims {
  [claim: string]: unknown;
}

const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: Claims = {}): Claims {
  return { iss: 'shop', aud: AUDIENCE, sub: 'customer-42', iat: now(), exp: now() + 300, jti: randomUUID(), return_to: 'https://app.example/photos/done?x=1', ...overrides };
}

async function sign(payload: Claims, secret = shop.secrets[0]!, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(secretKey(secret));
}

describe('Verifying a host app\'s signed pick request', () => {
  let requests: PickRequests;
  beforeEach(() => {
    requests = new PickRequests({ apps: [shop, other], audience: AUDIENCE, store: new MemorySharedStore(silentLogger) });
  });

  const refused = async (token: Promise<string> | string, why: RegExp, app = 'shop') => {
    await assert.rejects(requests.verify(app, await token), (error: unknown) => {
      assert.ok(error instanceof InvalidPickRequest, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.code, 'INVALID_PICK_REQUEST');
      assert.match(error.reason, why);
      return true;
    });
  };

  it('when the request is well formed, then it names the app, the user, where to return, the items and the state', async () => {
    const request = await requests.verify('shop', await sign(claims({ max_items: 10, state: 'cart-7' })));
    assert.equal(request.app.id, 'shop');
    assert.equal(request.sub, 'customer-42');
    assert.equal(request.returnTo.href, 'https://app.example/photos/done?x=1');
    assert.equal(request.maxItems, 10);
    assert.equal(request.state, 'cart-7');
  });

  it('when it is signed with the second secret (rotation) or aud lacks the trailing slash, then it is accepted', async () => {
    await requests.verify('shop', await sign(claims({ aud: 'https://gateway.example' }), shop.secrets[1]));
  });

  it('when max_items is above the app\'s maxItems, then it is capped; when absent, the app\'s maxItems applies', async () => {
    assert.equal((await requests.verify('shop', await sign(claims({ max_items: 500 })))).maxItems, 50);
    assert.equal((await requests.verify('shop', await sign(claims()))).maxItems, 50);
  });

  it('when the same request comes twice, then the second is refused as a replay', async () => {
    const token = await sign(claims());
    await requests.verify('shop', token);
    await refused(token, /replayed/);
  });

  it('when the algorithm is none, HS512 or RS256, then it is refused', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    await refused(`${header}.${base64url.encode(JSON.stringify(claims()))}.`, /alg|JWS/i);
    await refused(sign(claims(), shop.secrets[0], 'HS512'), /alg/i);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey), /alg/i);
  });

  it('when it is signed with another app\'s secret, then it is refused', async () => {
    await refused(sign(claims(), other.secrets[0]), /signature/);
  });

  it('when it has expired, or its iat is in the future, or it lives longer than 600 s, then it is refused', async () => {
    await refused(sign(claims({ iat: now() - 400, exp: now() - 60 })), /exp/);
    await refused(sign(claims({ iat: now() + 120, exp: now() + 300 })), /iat/);
    await refused(sign(claims({ exp: now() + 3600 })), /600/);
  });

  it('when aud is another service, or iss another app, or the app is unknown, then it is refused', async () => {
    await refused(sign(claims({ aud: 'https://elsewhere.example/' })), /aud/);
    await refused(sign(claims({ iss: 'school' })), /iss/);
    await refused(sign(claims()), /unknown app/, 'nobody');
  });

  for (const returnTo of [
    'https://evil.test/steal',
    'https://app.example@evil.test/',
    'https://app.example.evil.test/',
    'javascript:alert(1)',
    '/relative/path',
    `https://app.example/${'a'.repeat(3000)}`,
    'http://app.example/',
  ]) {
    it(`when return_to is ${JSON.stringify(returnTo.slice(0, 40))}, then it is refused`, async () => {
      await refused(sign(claims({ return_to: returnTo })), /return_to/);
    });
  }

  for (const maxItems of [0, 2001, 1.5, '10']) {
    it(`when max_items is ${JSON.stringify(maxItems)}, then it is refused`, async () => {
      await refused(sign(claims({ max_items: maxItems })), /max_items/);
    });
  }

  it('when state is over 512 characters, or sub is missing, then it is refused', async () => {
    await refused(sign(claims({ state: 'x'.repeat(513) })), /state/);
    await refused(sign(claims({ sub: undefined })), /sub/);
  });

  it('when account is given, then it is the app\'s label for its user; when absent, there is none', async () => {
    assert.equal((await requests.verify('shop', await sign(claims({ account: 'ana@printshop' })))).account, 'ana@printshop');
    assert.equal((await requests.verify('shop', await sign(claims({ account: 'a'.repeat(100) })))).account, 'a'.repeat(100));
    assert.equal((await requests.verify('shop', await sign(claims()))).account, null);
  });

  for (const account of ['a'.repeat(101), '', 42, null, ['ana']]) {
    it(`when account is ${JSON.stringify(account).slice(0, 20)}, then it is refused`, async () => {
      await refused(sign(claims({ account })), /account/);
    });
  }

  it('when the token is 100 KB, then it is refused before it is parsed', async () => {
    await refused('a'.repeat(100 * 1024), /too large/);
  });
});
