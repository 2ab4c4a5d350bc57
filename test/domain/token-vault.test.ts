import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { TokenVault } from '../../src/domain/token-vault.ts';

const tokens = { access_token: 'ya29.secret-access', refresh_token: '1//secret-refresh', expiry_date: 1_900_000_000_000 };

describe('TokenVault', () => {
  it('when tokens are sealed, then the blob holds none of them and opens to the same tokens', () => {
    const vault = new TokenVault([randomBytes(32)]);
    const sealed = vault.seal(tokens);
    assert.ok(!sealed.includes('secret'));
    assert.deepEqual(vault.open(sealed), tokens);
  });

  it('when the same tokens are sealed twice, then the blobs differ (fresh nonce)', () => {
    const vault = new TokenVault([randomBytes(32)]);
    assert.notEqual(vault.seal(tokens), vault.seal(tokens));
  });

  it('when the key is rotated, then old blobs still open and new ones use the new key', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealedWithOld = new TokenVault([oldKey]).seal(tokens);
    const rotated = new TokenVault([newKey, oldKey]);
    assert.deepEqual(rotated.open(sealedWithOld), tokens);
    assert.equal(new TokenVault([oldKey]).open(rotated.seal(tokens)), undefined);
  });

  it('when a blob is tampered with or the key is unknown, then it does not open', () => {
    const vault = new TokenVault([randomBytes(32)]);
    const sealed = vault.seal(tokens);
    const parts = sealed.split('.');
    parts[4] = `${parts[4]!.slice(0, -2)}AA`;
    assert.equal(vault.open(parts.join('.')), undefined);
    assert.equal(new TokenVault([randomBytes(32)]).open(sealed), undefined);
    assert.equal(vault.open('garbage'), undefined);
  });
});
