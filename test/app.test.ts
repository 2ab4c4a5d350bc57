import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { userIdFor } from '../src/domain/user-id.ts';
import { startHarness, type Harness } from './helpers/harness.ts';

const ALICE_GOOGLE_ID = '100000000000000000001';

describe('the services outside any request', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 } } });
  });
  after(() => h.close());

  it('when a background job has nothing but a user id, then it creates, follows, lists and deletes that user\'s sessions', async () => {
    const browser = await h.signedInClient();
    const { pickerSessions, media } = h.app.services;
    const userId = userIdFor(ALICE_GOOGLE_ID);

    const session = await pickerSessions.create(userId, { maxItemCount: 3 });
    h.emulator.pick(session.id, { count: 2 });
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_100 }); // past the poll interval: the next look asks Google
    try {
      assert.equal((await pickerSessions.status(userId, session.id)).status, 'complete');
    } finally {
      mock.timers.reset();
    }
    assert.equal((await media.all(userId, session.id)).items.length, 2);

    // The person sees in their browser what the job did, and the other way round.
    const seen = await browser.get(`/sessions/${session.id}`, { accept: 'json' });
    assert.equal((await seen.json()).status, 'complete');
    await pickerSessions.delete(userId, session.id);
    assert.equal((await browser.get(`/sessions/${session.id}`, { accept: 'json' })).status, 404);
  });
});
