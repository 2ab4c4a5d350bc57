import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PICKER_SCOPE } from '../../src/config.ts';
import { newBinding, SignIns } from '../../src/domain/sign-in.ts';
import { userIdFor } from '../../src/domain/user-id.ts';
import { AppError } from '../../src/errors.ts';
import { domainFixture, type DomainFixture } from './fakes.ts';

describe('Signing in', () => {
  let f: DomainFixture;
  let signIns: SignIns;
  let started = 0;
  let grantedScope: string;
  const exchanged: string[] = [];

  beforeEach(async () => {
    f = await domainFixture();
    grantedScope = `openid email ${PICKER_SCOPE}`;
    exchanged.length = 0;
    signIns = new SignIns({
      store: f.store,
      accounts: f.accounts,
      api: {
        authorizationRequest: async () => {
          started++;
          return { url: `https://accounts.example/auth?state=state-${started}`, state: `state-${started}`, codeVerifier: `verifier-${started}` };
        },
        exchangeCode: async (code, verifier) => {
          exchanged.push(`${code}/${verifier}`);
          return { access_token: `access-for-${code}`, refresh_token: 'refresh', scope: grantedScope };
        },
        profile: async () => ({ sub: '1234567890', email: 'alice@example.com', name: 'Alice' }),
      },
    });
  });
  afterEach(() => f.close());

  const start = async (binding: string) => {
    const url = await signIns.start({ binding, returnTo: '/next' });
    return new URL(url).searchParams.get('state')!;
  };
  const refusedAs = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

  it('when two tabs of one browser start signing in, then both finish, in either order, each with its own verifier', async () => {
    const binding = newBinding();
    const first = await start(binding);
    const second = await start(binding);
    await signIns.finish({ binding, state: second, code: 'code-2' });
    const { user, returnTo } = await signIns.finish({ binding, state: first, code: 'code-1' });
    assert.deepEqual(exchanged, ['code-2/verifier-2', 'code-1/verifier-1']);
    assert.equal(returnTo, '/next');
    assert.equal(user.id, userIdFor('1234567890'), 'the id comes from the Google account, not the email');
    assert.doesNotMatch(user.id, /alice/);
    assert.equal(await f.accounts.isConnected(user.id), true);
  });

  it('when a state comes back a second time, then it is refused', async () => {
    const binding = newBinding();
    const state = await start(binding);
    await signIns.finish({ binding, state, code: 'code' });
    await assert.rejects(signIns.finish({ binding, state, code: 'code' }), refusedAs('INVALID_STATE'));
  });

  it('when the state comes back in another browser, then it is refused and spent', async () => {
    const binding = newBinding();
    const state = await start(binding);
    await assert.rejects(signIns.finish({ binding: newBinding(), state, code: 'code' }), refusedAs('INVALID_STATE'));
    await assert.rejects(signIns.finish({ binding, state, code: 'code' }), refusedAs('INVALID_STATE'));
    assert.deepEqual(exchanged, []);
  });

  it('when the picker permission was not granted, then the sign-in is refused and nobody is connected', async () => {
    grantedScope = 'openid email';
    const binding = newBinding();
    await assert.rejects(signIns.finish({ binding, state: await start(binding), code: 'code' }), refusedAs('SCOPE_NOT_GRANTED'));
    assert.equal(await f.accounts.isConnected(userIdFor('1234567890')), false);
  });

  it('when the person said no at Google, then the sign-in ends with ACCESS_DENIED', async () => {
    const binding = newBinding();
    await assert.rejects(signIns.finish({ binding, state: await start(binding), error: 'access_denied' }), refusedAs('ACCESS_DENIED'));
  });
});
