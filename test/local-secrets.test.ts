import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withLocalSecrets } from '../src/local-secrets.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ppg-secrets-'));
  dirs.push(dir);
  return dir;
}

describe('secrets kept for the embedded store', () => {
  it('when no secrets are set outside production, then they are made once, kept for this user only, and the same at the next start', async () => {
    const DATA_DIR = await dataDir();
    const first = withLocalSecrets({ DATA_DIR });
    const second = withLocalSecrets({ DATA_DIR });
    assert.ok((first.env.SESSION_SECRET ?? '').length >= 32);
    assert.equal(Buffer.from(first.env.TOKEN_ENCRYPTION_KEY ?? '', 'base64').length, 32);
    assert.deepEqual(second.env, first.env);
    assert.equal(first.keptIn, join(DATA_DIR, 'secrets.json'));
    assert.equal((await stat(join(DATA_DIR, 'secrets.json'))).mode & 0o777, 0o600);
  });

  it('when a secret is set, then it wins over the kept one', async () => {
    const DATA_DIR = await dataDir();
    const { env } = withLocalSecrets({ DATA_DIR, SESSION_SECRET: 'x'.repeat(40) });
    assert.equal(env.SESSION_SECRET, 'x'.repeat(40));
    assert.ok(env.TOKEN_ENCRYPTION_KEY);
  });

  it('when the process runs in production, on Redis or in memory, then nothing is made or written', async () => {
    const DATA_DIR = await dataDir();
    for (const env of [{ DATA_DIR, NODE_ENV: 'production' }, { DATA_DIR, SESSION_STORE: 'redis' }, { DATA_DIR, SESSION_STORE: 'memory' }]) {
      const result = withLocalSecrets(env);
      assert.deepEqual(result, { env });
    }
    await assert.rejects(stat(join(DATA_DIR, 'secrets.json')), { code: 'ENOENT' });
  });
});
