import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { warnWithoutPersistence } from '../../../src/adapters/redis/stores.ts';
import { createLogger } from '../../../src/logger.ts';
import { PrivateRedis } from '../../helpers/redis.ts';

/** A logger whose lines the test reads. */
function listening() {
  const lines: string[] = [];
  return { lines, logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) };
}

describe('a Redis that keeps the sign-ins and the queue', () => {
  let volatile: PrivateRedis;
  let durable: PrivateRedis;
  before(async () => {
    [volatile, durable] = await Promise.all([PrivateRedis.start(), PrivateRedis.start({ persistent: true })]);
  });
  after(async () => {
    await Promise.all([volatile.stop(), durable.stop()]);
  });

  it('when Redis keeps nothing on disk, then the start warns that a Redis restart signs everyone out and says what to set', async () => {
    const client = new Redis(volatile.url);
    const { lines, logger } = listening();
    await warnWithoutPersistence(client, logger);
    client.disconnect();
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /signs everyone out.*appendonly yes/);
  });

  it('when Redis keeps an append-only file, then nothing is said', async () => {
    const client = new Redis(durable.url);
    const { lines, logger } = listening();
    await warnWithoutPersistence(client, logger);
    client.disconnect();
    assert.deepEqual(lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 40), []);
  });
});
