import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextNonce } from '../../../src/http/middleware/security.ts';

describe('CSP nonces', () => {
  it('when many more nonces are drawn than one random pool holds, then each is 128 bits and none repeats', () => {
    const drawn = Array.from({ length: 2_000 }, () => nextNonce());
    assert.equal(new Set(drawn).size, drawn.length);
    for (const nonce of drawn) assert.equal(Buffer.from(nonce, 'base64').length, 16);
  });
});
