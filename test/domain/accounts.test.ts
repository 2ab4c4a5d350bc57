import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MemorySharedStore } from '../../src/adapters/memory/shared-store.ts';
import { GoogleAccounts } from '../../src/domain/accounts.ts';
import type { GoogleTokens, PickerApi } from '../../src/domain/ports.ts';
import { TokenVault } from '../../src/domain/token-vault.ts';
import { AppError } from '../../src/errors.ts';
import { silentLogger } from './fakes.ts';

const invalidGrant = Object.assign(new Error('invalid_grant'), { invalidGrant: true });

describe('A person\'s Google connection', () => {
  let store: MemorySharedStore;
  let refreshes: GoogleTokens[];
  let refuseRefresh: boolean;
  let revoked: GoogleTokens[];
  let accounts: GoogleAccounts;
  let pickerTokens: string[];
  let unauthenticatedAnswers: number;

  beforeEach(() => {
    store = new MemorySharedStore(silentLogger);
    refreshes = [];
    revoked = [];
    refuseRefresh = false;
    pickerTokens = [];
    unauthenticatedAnswers = 0;
    accounts = new GoogleAccounts({
      store,
      vault: new TokenVault([Buffer.alloc(32, 1)]),
      oauth: {
        refresh: async (tokens) => {
          refreshes.push(tokens);
          await new Promise((resolve) => setImmediate(resolve));
          if (refuseRefresh) throw invalidGrant;
          return { ...tokens, access_token: `fresh-${refreshes.length}`, expiry_date: Date.now() + 3_600_000 };
        },
        revoke: async (tokens) => void revoked.push(tokens),
      },
      pickerApi: (token) => ({
        getSession: async (id: string) => {
          pickerTokens.push(token);
          if (unauthenticatedAnswers-- > 0) throw new AppError({ status: 401, code: 'UNAUTHENTICATED', detail: 'expired' });
          return { id, pickerUri: 'https://picker.example/x', expireTime: '', mediaItemsSet: false };
        },
      }) as unknown as PickerApi,
      isInvalidGrant: (error) => (error as { invalidGrant?: boolean }).invalidGrant === true,
      refreshError: () => new AppError({ status: 502, code: 'UNAVAILABLE' }),
      tokenTtlMs: 86_400_000,
      logger: silentLogger,
    });
  });
  afterEach(() => store.close());

  it('when ten calls need a token that is about to expire, then Google refreshes it once and all use the new one', async () => {
    await accounts.connect('alice', { access_token: 'old', refresh_token: 'r-alice', expiry_date: Date.now() + 30_000 });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => accounts.accessToken('alice')));
    assert.equal(refreshes.length, 1);
    assert.deepEqual(new Set(tokens), new Set(['fresh-1']));
    assert.equal((await accounts.tokens('alice'))?.refresh_token, 'r-alice', 'the refresh token is kept');
  });

  it('when Google refuses the refresh token, then the connection is forgotten and the person is asked to connect again', async () => {
    await accounts.connect('alice', { access_token: 'old', refresh_token: 'r-alice', expiry_date: Date.now() - 1 });
    refuseRefresh = true;
    await assert.rejects(accounts.accessToken('alice'), (error: AppError) => error.code === 'UNAUTHENTICATED' && error.messageKey === 'error.signedOutByGoogle');
    assert.equal(await accounts.isConnected('alice'), false);
  });

  it('when a new sign-in brings no refresh token, then the one held for the person is kept', async () => {
    await accounts.connect('alice', { access_token: 'a1', refresh_token: 'r-first' });
    await accounts.connect('alice', { access_token: 'a2' });
    assert.deepEqual(await accounts.tokens('alice'), { access_token: 'a2', refresh_token: 'r-first' });
  });

  it('when Google refuses a token that looked valid, then it is refreshed once and the call tried again; a second refusal is final', async () => {
    await accounts.connect('alice', { access_token: 'looked-valid', refresh_token: 'r-alice', expiry_date: Date.now() + 3_600_000 });
    unauthenticatedAnswers = 1;
    await accounts.withPicker('alice', (api) => api.getSession('s'));
    assert.deepEqual(pickerTokens, ['looked-valid', 'fresh-1']);
    unauthenticatedAnswers = 2;
    await assert.rejects(accounts.withPicker('alice', (api) => api.getSession('s')), (error: AppError) => error.code === 'UNAUTHENTICATED');
    assert.equal(refreshes.length, 2);
  });

  it('when the person disconnects, then the grant is revoked at Google and the tokens are gone', async () => {
    await accounts.connect('alice', { access_token: 'a', refresh_token: 'r-alice' });
    await accounts.disconnect('alice');
    assert.equal(revoked[0]?.refresh_token, 'r-alice');
    await assert.rejects(accounts.accessToken('alice'), (error: AppError) => error.code === 'UNAUTHENTICATED');
  });

  it('when two people are connected, then each keeps their own tokens, sealed in the store', async () => {
    await accounts.connect('alice', { access_token: 'token-of-alice' });
    await accounts.connect('bob', { access_token: 'token-of-bob' });
    assert.equal(await accounts.accessToken('alice'), 'token-of-alice');
    assert.equal(await accounts.accessToken('bob'), 'token-of-bob');
    assert.doesNotMatch((await store.get('user:alice:google'))!, /token-of-alice/);
  });
});
