import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameSecret } from '../../src/security/constant-time.ts';

describe('comparing secrets', () => {
  it('when two secrets are equal, then they match; when they differ in content or length, then they do not', () => {
    assert.equal(sameSecret('4f1c9a', '4f1c9a'), true);
    assert.equal(sameSecret('', ''), true);
    assert.equal(sameSecret('4f1c9a', '4f1c9b'), false);
    assert.equal(sameSecret('4f1c9a', '4f1c9a0'), false);
    assert.equal(sameSecret('4f1c9a', ''), false);
    assert.equal(sameSecret('é', 'e\u0301'), false, 'compared as written, not normalised');
  });
});
