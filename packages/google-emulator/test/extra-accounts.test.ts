import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmulator, directAccessToken } from '../src/index.ts';

describe('extra accounts for load tests', () => {
  it('when extraAccounts is 3, then user1 to user3 sign in with libraries of their own, and user4 does not exist', async () => {
    const emulator = createEmulator({ extraAccounts: 3 });
    await emulator.listen(0, '127.0.0.1');
    try {
      const token = await directAccessToken(emulator, 'user3@example.com');
      const created = await fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(created.status, 200);
      await assert.rejects(directAccessToken(emulator, 'user4@example.com'));
    } finally {
      await emulator.close();
    }
  });
});
