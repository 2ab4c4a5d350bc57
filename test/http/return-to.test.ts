import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeReturnTo } from '../../src/http/return-to.ts';

describe('the page to return to after sign-in', () => {
  it('when the path resolves to another host, then it is refused', () => {
    for (const raw of [
      '/.//evil.example', '/..//evil.example', '/%2e//evil.example', '/%2E%2E//evil.example', '/a/..//evil.example', '/a/b/../..//evil.example',
      '/\\evil.example', '/\\/evil.example', '/\t/evil.example', '/\n/evil.example', '/.\t//evil.example', '/.\r\n//evil.example',
      '//evil.example', '///evil.example', 'https://evil.example/', 'javascript:alert(1)', 'evil.example', '', ' /x',
    ]) {
      assert.equal(safeReturnTo(raw), '/', JSON.stringify(raw));
    }
  });

  it('when it is not a string or is absurdly long, then it is refused', () => {
    for (const raw of [undefined, null, ['/x'], { path: '/x' }, 42, `/${'a'.repeat(5_000)}`]) assert.equal(safeReturnTo(raw), '/');
  });

  it('when it is a path on this site, then it is kept with its query and fragment', () => {
    assert.equal(safeReturnTo('/sessions/abc?x=1#y'), '/sessions/abc?x=1#y');
    assert.equal(safeReturnTo('/'), '/');
    assert.equal(safeReturnTo('/a/../sessions'), '/sessions');
    assert.equal(safeReturnTo('/sessions?next=//evil.example'), '/sessions?next=//evil.example', 'a query is not a host');
  });
});
