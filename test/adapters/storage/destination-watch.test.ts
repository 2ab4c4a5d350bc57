import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { DestinationWatch } from '../../../src/adapters/storage/destination-watch.ts';
import { FileDestination } from '../../../src/adapters/storage/file-destination.ts';

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('DestinationWatch', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'destination-watch-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('when the disk has less room than asked for, then the destination is not ready, and the log says ENOSPC with the figures', async () => {
    const { logger, lines } = capturingLogger();
    const changes: boolean[] = [];
    const destination = new FileDestination(root);
    const watch = new DestinationWatch(destination, logger, (writable) => changes.push(writable), { minFreeBytes: Number.MAX_SAFE_INTEGER });

    assert.equal(await watch.check(), false, 'a probe of a few bytes would pass; the room does not');

    const refusal = lines.find((line) => String(line.msg).includes('refuses writes'));
    assert.ok(refusal);
    assert.equal(refusal.destination, destination.description);
    assert.match(String(refusal.reason), /ENOSPC \(\d+ MiB free, IMPORT_MIN_FREE_MB asks for \d+\)/);
    assert.deepEqual(changes, [false]);
  });

  it('when the disk has the room asked for, then the destination is ready', async () => {
    const { logger } = capturingLogger();
    const destination = new FileDestination(join(root, 'not-made-yet'));
    const watch = new DestinationWatch(destination, logger, () => {}, { minFreeBytes: 1024 * 1024 });
    assert.ok((await destination.room()) > 1024 * 1024);
    assert.equal(await watch.check(), true);
  });
});
