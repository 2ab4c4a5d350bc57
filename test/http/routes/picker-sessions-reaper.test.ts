import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { createPickerSession, startHarness, waitForStatus } from '../../helpers/harness.ts';

describe('the reaper', () => {
  it('when a session is past its expireTime, then the reaper deletes it at Google and it still reads as expired', async () => {
    const h = await startHarness({ emulator: { knobs: { sessionTtlSeconds: 60 } } });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      assert.equal(await h.app.services.reaper.runOnce(), 0, 'nothing is due yet');
      mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
      assert.equal(await h.app.services.reaper.runOnce(), 1);
      assert.ok(h.emulator.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/sessions/${id}`));
      const answer = await client.get(`/sessions/${id}`, { accept: 'json' });
      assert.equal(answer.status, 200);
      assert.equal((await answer.json()).status, 'expired');
    } finally {
      mock.timers.reset();
      await h.close();
    }
  });

  it('when a session is finished and its grace period is over, then the reaper deletes it', async () => {
    const h = await startHarness({ env: { PICKER_COMPLETED_GRACE_MS: '0' }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      const pending = await createPickerSession(client);
      const done = await createPickerSession(client);
      h.emulator.pick(done, { count: 2 });
      await waitForStatus(client, done, 'complete');
      assert.equal(await h.app.services.reaper.runOnce(), 1);
      const sessions = h.emulator.sessionsOf('alice@example.com');
      assert.equal(sessions.find((s) => s.id === done)?.deleted, true);
      assert.equal(sessions.find((s) => s.id === pending)?.deleted, false, 'a session still being picked is left alone');
    } finally {
      await h.close();
    }
  });

  it('when the user signed out, then there is nothing left for the reaper', async () => {
    const h = await startHarness({ emulator: { knobs: { sessionTtlSeconds: 60 } } });
    try {
      const client = await h.signedInClient();
      await createPickerSession(client);
      await client.post('/auth/logout');
      mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
      h.emulator.clearRequests();
      assert.equal(await h.app.services.reaper.runOnce(), 0);
      assert.equal(h.emulator.requests.length, 0);
    } finally {
      mock.timers.reset();
      await h.close();
    }
  });
});
