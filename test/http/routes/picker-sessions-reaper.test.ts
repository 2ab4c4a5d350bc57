import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPickerSession, eventually, jobsSettled, startHarness, waitForStatus } from '../../helpers/harness.ts';

const deletedAtGoogle = (h: Awaited<ReturnType<typeof startHarness>>, id: string) =>
  h.emulator.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/sessions/${id}`).length;

describe('deleting Picker sessions at Google when they are done with', () => {
  it('when a session is past its expireTime, then a job deletes it at Google and it still reads as expired', async () => {
    const h = await startHarness({ emulator: { knobs: { sessionTtlSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      assert.equal(deletedAtGoogle(h, id), 0, 'nothing is due yet');
      await eventually(() => deletedAtGoogle(h, id) === 1, 'the expired session is deleted at Google');
      const answer = await client.get(`/sessions/${id}`, { accept: 'json' });
      assert.equal(answer.status, 200);
      assert.equal((await answer.json()).status, 'expired');
    } finally {
      await h.close();
    }
  });

  it('when a session is finished and its grace period is over (imports off), then it is deleted and the pending one is not', async () => {
    const h = await startHarness({ env: { PICKER_COMPLETED_GRACE_MS: '0' }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      const pending = await createPickerSession(client);
      const done = await createPickerSession(client);
      h.emulator.pick(done, { count: 2 });
      await waitForStatus(client, done, 'complete');
      await eventually(() => deletedAtGoogle(h, done) === 1, 'the finished session is deleted at Google');
      const sessions = h.emulator.sessionsOf('alice@example.com');
      assert.equal(sessions.find((s) => s.id === pending)?.deleted, false, 'a session still being picked is left alone');
    } finally {
      await h.close();
    }
  });

  it('when the user signed out before the session expired, then its deletion job asks Google nothing more', async () => {
    const h = await startHarness({ emulator: { knobs: { sessionTtlSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      await createPickerSession(client);
      await client.post('/auth/logout');
      h.emulator.clearRequests();
      await jobsSettled(h);
      assert.deepEqual(h.emulator.requests.filter((r) => r.kind === 'picker'), []);
    } finally {
      await h.close();
    }
  });
});
