import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { removeKeys } from '../adapters/queue/remove-keys.ts';
import { createPickerSession, eventually, startHarness } from '../helpers/harness.ts';
import { IMPORT_STEP_MS, importEnded, importOf, itemNamed } from '../helpers/imports.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

/** Alice's backlog: enough items that, were Bob's import behind it, Alice's would end first by far. */
const ALICE_ITEMS = 8;
/** Slow enough that one item's copy outlasts the polling that measures it, so the order of copies shows. */
const THROTTLED_BYTES_PER_SECOND = 256 * 1024;

const queues = [
  { name: 'the in-process queue', env: {} as Record<string, string> },
  { name: 'BullMQ on Redis', env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL } as Record<string, string> },
];

describe('fair share between owners', () => {
  for (const queue of queues) {
    it(`when Alice's large import runs and Bob picks one item, then Bob's import ends after at most the copy already running, on ${queue.name}`, async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'gateway-fair-share-'));
      const prefix = uniquePrefix();
      const h = await startHarness({
        env: { ...queue.env, REDIS_KEY_PREFIX: prefix, IMPORT_DESTINATION: `file:${root}`, IMPORT_CONCURRENCY: '1' },
        emulator: { knobs: { pollIntervalSeconds: 1 } },
      });
      try {
        const alice = await h.signedInClient();
        const bob = await h.signedInClient({ account: 'bob@example.com' });
        const alicesSession = await createPickerSession(alice);
        const bobsSession = await createPickerSession(bob);
        h.emulator.knobs.mediaBytesPerSecond = THROTTLED_BYTES_PER_SECOND;
        const photos = h.emulator.library('alice@example.com').filter((item) => item.type === 'PHOTO').slice(0, ALICE_ITEMS);
        h.emulator.pick(alicesSession, { itemIds: photos.map((item) => item.id) });
        await eventually(async () => (await importOf(alice, alicesSession)).items.some((item) => item.status === 'done'), 'Alice\'s first item is in', IMPORT_STEP_MS);

        h.emulator.pick(bobsSession, { itemIds: [itemNamed(h.emulator, 'photo-001.png', 'bob@example.com')] });
        const aliceDone = async () => (await importOf(alice, alicesSession)).items.filter((item) => item.status === 'done').length;
        // From when Bob's item is queued to when his import ends, Alice's copies go on: at most the one running then.
        const { queuedAt } = await eventually(async () => ((await importOf(bob, bobsSession)).status === 'running' ? { queuedAt: await aliceDone() } : undefined), 'Bob\'s import is queued', IMPORT_STEP_MS);
        const bobs = await importEnded(bob, bobsSession);
        const endedAt = await aliceDone();
        assert.equal(bobs.status, 'done');
        assert.ok(endedAt - queuedAt <= 1, `Bob waited for ${endedAt - queuedAt} of Alice's copies`);
        assert.ok(endedAt < ALICE_ITEMS, 'Alice\'s import still runs');

        h.emulator.knobs.mediaBytesPerSecond = 0;
        assert.equal((await importEnded(alice, alicesSession)).status, 'done');
      } finally {
        h.emulator.knobs.mediaBytesPerSecond = 0;
        await h.close();
        await removeKeys(prefix);
        await rm(root, { recursive: true, force: true });
      }
    });
  }
});
