import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { SignJWT } from 'jose';
import { MemorySharedStore } from '../../src/adapters/memory/shared-store.ts';
import { secretKey, type HostApp } from '../../src/domain/host-apps.ts';
import { PickRequests } from '../../src/domain/pick-requests.ts';
import { silentLogger } from '../domain/fakes.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { assertSchema, conforms, openApiDocument } from '../helpers/openapi.ts';

describe('the OpenAPI document', () => {
  it('when it is checked as a document, then it is valid OpenAPI 3.1 with its references resolved', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument));
    assert.deepEqual(result, { valid: true }, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
  });
});

describe('the signed request\'s claims in the document', () => {
  const shop: HostApp = { id: 'shop', name: 'Print Shop', secrets: [`whsec_${randomBytes(24).toString('base64')}`], returnOrigins: ['https://app.example'], maxItems: 2000 };
  const AUDIENCE = 'https://gateway.example';
  const now = Math.floor(Date.now() / 1000);
  const base = () => ({ iss: 'shop', aud: AUDIENCE, sub: 'customer-1', iat: now, exp: now + 600, jti: randomUUID(), return_to: 'https://app.example/back' });
  const schemaAccepts = (claims: Record<string, unknown>) => {
    try {
      assertSchema('/components/schemas/PickRequestClaims', claims);
      return true;
    } catch {
      return false;
    }
  };

  // Each row is a boundary the document states; the gateway must agree with it on both sides.
  const rows: Array<[string, Record<string, unknown>]> = [
    ['the required claims only', {}],
    ['every optional claim', { max_items: 20, state: 'order-7', account: 'ana@printshop' }],
    ['account of 100 characters', { account: 'a'.repeat(100) }],
    ['account of 101 characters', { account: 'a'.repeat(101) }],
    ['an empty account', { account: '' }],
    ['sub of 256 characters', { sub: 's'.repeat(256) }],
    ['sub of 257 characters', { sub: 's'.repeat(257) }],
    ['an empty sub', { sub: '' }],
    ['max_items 2000', { max_items: 2000 }],
    ['max_items 2001', { max_items: 2001 }],
    ['max_items 0', { max_items: 0 }],
    ['max_items 1.5', { max_items: 1.5 }],
    ['state of 512 characters', { state: 'x'.repeat(512) }],
    ['state of 513 characters', { state: 'x'.repeat(513) }],
    ['state as a number', { state: 7 }],
    ['jti of 257 characters', { jti: 'j'.repeat(257) }],
    ['no return_to', { return_to: undefined }],
    ['a relative return_to', { return_to: '/back' }],
    ['a return_to that is not http(s)', { return_to: 'ftp://app.example/back' }],
    ['no jti', { jti: undefined }],
    ['no sub', { sub: undefined }],
  ];
  for (const [what, overrides] of rows) {
    it(`when the claims have ${what}, then the document and the gateway agree on whether they are valid`, async () => {
      const claims = JSON.parse(JSON.stringify({ ...base(), ...overrides })) as Record<string, unknown>;
      const requests = new PickRequests({ apps: [shop], audience: AUDIENCE, store: new MemorySharedStore(silentLogger) });
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(shop.secrets[0]!));
      const gatewayAccepts = await requests.verify('shop', token).then(() => true, () => false);
      assert.equal(schemaAccepts(claims), gatewayAccepts, `the document says ${schemaAccepts(claims) ? 'valid' : 'invalid'}, the gateway ${gatewayAccepts ? 'accepts' : 'refuses'}`);
    });
  }
});

describe('GET /api/v1/openapi.json', () => {
  let h: Harness;
  let root: string;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-openapi-'));
    const apps = [{ id: 'shop', name: 'Print Shop', secrets: [secret], returnOrigins: ['https://app.example'] }];
    h = await startHarness({ env: { APPS: JSON.stringify(apps), IMPORT_DESTINATION: `file:${root}` } });
  });
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when anyone asks, without a secret, then it is the document naming this gateway as its server, with the API\'s version', async () => {
    const answer = await conforms(await fetch(`${h.url}/api/v1/openapi.json`));
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(answer.headers.get('api-version'), openApiDocument.info.version);
    const served = (await answer.json()) as typeof openApiDocument;
    assert.deepEqual(served.servers, [{ url: h.config.publicUrl.href.replace(/\/$/, ''), description: 'This gateway.' }]);
    assert.deepEqual({ ...served, servers: openApiDocument.servers }, openApiDocument);
  });

  it('when a browser holding the site\'s cookie asks from another origin, then no cookie is set, any origin may read it, and it is cacheable', async () => {
    const browser = await h.signedInClient();
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const answer = await fetch(`${h.url}/api/v1/openapi.json`, { headers: { cookie, origin: 'https://elsewhere.example' } });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.headers.getSetCookie(), []);
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    assert.match(answer.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
    const etag = answer.headers.get('etag');
    assert.ok(etag);
    // max-age=0 revalidates; fetch would otherwise send no-cache with If-None-Match, which always gets the body.
    const again = await fetch(`${h.url}/api/v1/openapi.json`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    assert.equal(again.status, 304);
  });

  it('when the API answers, whatever the answer, then it says which version of the document it follows', async () => {
    for (const init of [{}, { headers: { authorization: `Bearer ${secret}` } }]) {
      const answer = await conforms(await fetch(`${h.url}/api/v1/picks/${'a'.repeat(22)}`, init));
      assert.equal(answer.headers.get('api-version'), openApiDocument.info.version);
    }
  });
});
