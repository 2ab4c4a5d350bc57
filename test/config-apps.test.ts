import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { productionEnv } from './helpers/production-env.ts';

const goodSecret = `whsec_${randomBytes(32).toString('base64')}`;
const shortSecret = `whsec_${randomBytes(16).toString('base64')}`;
const foreignSecret = `sk_live_${randomBytes(32).toString('hex')}`;
const app = (overrides: Record<string, unknown> = {}) => ({
  id: 'shop',
  name: 'Print Shop',
  secrets: [goodSecret],
  returnOrigins: ['https://app.example'],
  webhookUrl: 'https://app.example/hooks/photos',
  ...overrides,
});
const apps = (...list: unknown[]) => JSON.stringify(list);

describe('config: host apps (APPS, APPS_FILE)', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'config-apps-'));
    await writeFile(path.join(folder, 'short-secret.json'), apps(app({ secrets: [goodSecret, shortSecret] })));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('when the apps are well formed, then each is there, with Google\'s ceiling for maxItems when none is set', () => {
    const config = loadConfig({ APPS: apps(app(), app({ id: 'school', maxItems: 20, webhookUrl: undefined })) });
    assert.deepEqual(config.apps.map(({ id, maxItems, webhookUrl }) => ({ id, maxItems, webhookUrl })), [
      { id: 'shop', maxItems: 2000, webhookUrl: 'https://app.example/hooks/photos' },
      { id: 'school', maxItems: 20, webhookUrl: undefined },
    ]);
  });

  const cases: Array<{ when: string; env: () => Record<string, string>; names: RegExp }> = [
    { when: 'an id has capitals and punctuation', env: () => ({ APPS: apps(app({ id: 'Shop!' })) }), names: /APPS: app 1, field id: / },
    { when: 'a secret lacks the whsec_ prefix', env: () => ({ APPS: apps(app({ secrets: [foreignSecret] })) }), names: /APPS: app "shop", field secrets\[0\]: .*whsec_/ },
    { when: 'a secret is under 24 bytes', env: () => ({ APPS: apps(app({ secrets: [goodSecret, shortSecret] })) }), names: /APPS: app "shop", field secrets\[1\]: .*24/ },
    { when: 'a return origin has a path', env: () => ({ APPS: apps(app({ returnOrigins: ['https://app.example/back'] })) }), names: /APPS: app "shop", field returnOrigins\[0\]: .*origin only/ },
    { when: 'the webhookUrl is not http(s)', env: () => ({ APPS: apps(app({ webhookUrl: 'ftp://app.example/hooks' })) }), names: /APPS: app "shop", field webhookUrl: .*http\(s\)/ },
    { when: 'two apps share an id', env: () => ({ APPS: apps(app(), app({ name: 'Another' })) }), names: /APPS: app "shop", field id: is used by two apps/ },
    { when: 'APPS_FILE cannot be read', env: () => ({ APPS_FILE: path.join(folder, 'missing.json') }), names: /APPS_FILE: cannot read .*missing\.json \(ENOENT\)/ },
    { when: 'APPS_FILE holds a faulty app', env: () => ({ APPS_FILE: path.join(folder, 'short-secret.json') }), names: /APPS_FILE: app "shop", field secrets\[1\]: / },
    { when: 'APPS is not valid JSON', env: () => ({ APPS: `[{"id": "shop", "secrets": ["${goodSecret}"]` }), names: /APPS: is not valid JSON/ },
    { when: 'APPS and APPS_FILE are both set', env: () => ({ APPS: apps(app()), APPS_FILE: path.join(folder, 'short-secret.json') }), names: /APPS or APPS_FILE, not both/ },
    {
      when: 'production has apps but no IMPORT_DESTINATION',
      env: () => ({ ...productionEnv, APPS: apps(app()) }),
      names: /APPS: host apps receive their picks through imports; set IMPORT_DESTINATION/,
    },
  ];
  for (const { when, env, names } of cases) {
    it(`when ${when}, then the start stops with a message naming it, and no secret`, () => {
      assert.throws(() => loadConfig(env()), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, names);
        for (const secret of [goodSecret, shortSecret, foreignSecret]) {
          assert.ok(!error.message.includes(secret.slice(6, 30)), 'the message holds a secret');
        }
        return true;
      });
    });
  }

  it('when production has apps and an IMPORT_DESTINATION, then it starts', () => {
    assert.equal(loadConfig({ ...productionEnv, APPS: apps(app()), IMPORT_DESTINATION: 's3://photos' }).apps.length, 1);
  });
});
