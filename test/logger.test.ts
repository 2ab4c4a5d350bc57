import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { censorUrl, createLogger } from '../src/logger.ts';

describe('logger', () => {
  it('when a URL carries code, state or tokens, then their values are censored and the rest kept', () => {
    const url = censorUrl('/auth/google/callback?state=s3cret&code=4/0Acode&scope=openid&pageSize=10');
    assert.ok(!url.includes('s3cret'));
    assert.ok(!url.includes('4/0Acode'));
    assert.match(url, /pageSize=10/);
    assert.match(url, /scope=openid/);
  });

  it('when an object with tokens or headers is logged, then the secrets are redacted', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info({ tokens: { access_token: 'ya29.x' }, refresh_token: '1//y', req: { headers: { authorization: 'Bearer z', cookie: 'sid=c' } } }, 'hello');
    const text = lines.join('');
    for (const secret of ['ya29.x', '1//y', 'Bearer z', 'sid=c']) assert.ok(!text.includes(secret), secret);
    assert.match(text, /hello/);
  });

  it('when a response, a Google error or bare headers are logged, then cookies, bearer tokens and CSRF tokens are not', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info({ res: { statusCode: 200, headers: { 'set-cookie': 'sid=c1', 'content-type': 'text/html' } } }, 'answer');
    const googleError = Object.assign(new Error('Request failed'), {
      config: { headers: { Authorization: 'Bearer ya29.e1' } },
      response: { data: { access_token: 'ya29.e2' } },
      cause: Object.assign(new Error('inner'), { config: { headers: { Authorization: 'Bearer ya29.e3' } } }),
    });
    logger.warn({ err: googleError }, 'google failed');
    logger.info({ headers: { authorization: 'Bearer ya29.h', cookie: 'sid=c2', 'x-csrf-token': 'csrf-1' }, googleTokens: 'sealed' }, 'headers');
    const text = lines.join('');
    for (const secret of ['sid=c1', 'ya29.e1', 'ya29.e2', 'ya29.e3', 'ya29.h', 'sid=c2', 'csrf-1', 'sealed']) assert.ok(!text.includes(secret), secret);
    assert.match(text, /text\/html/);
    assert.match(text, /Request failed/);
  });
});
