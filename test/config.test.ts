import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError, ENV_VARIABLES, loadConfig } from '../src/config.ts';
import { productionEnv } from './helpers/production-env.ts';

describe('config', () => {
  it('when nothing is set outside production, then it points at the emulator on PORT + 1', () => {
    const config = loadConfig({ PORT: '4000' });
    assert.equal(config.emulator?.port, 4001);
    assert.equal(config.google.authUrl, 'http://localhost:4001/o/oauth2/v2/auth');
    assert.equal(config.google.pickerApiUrl, 'http://localhost:4001');
    assert.equal(config.redirectUri, 'http://localhost:4000/auth/google/callback');
    assert.deepEqual(config.mediaHosts, ['localhost']);
    assert.ok(config.warnings.some((w) => w.includes('SESSION_SECRET')));
  });

  it('when a Google client is configured, then Google defaults apply and no emulator starts', () => {
    const config = loadConfig({ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret' });
    assert.equal(config.emulator, null);
    assert.equal(config.google.tokenUrl, 'https://oauth2.googleapis.com/token');
    assert.equal(config.google.pickerApiUrl, 'https://photospicker.googleapis.com');
    assert.deepEqual(config.mediaHosts, ['googleusercontent.com']);
    assert.ok(config.google.browserOrigins.includes('https://photos.google.com'));
    assert.ok(config.google.browserOrigins.includes('https://accounts.google.com'));
  });

  for (const variable of ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'SESSION_SECRET']) {
    it(`when ${variable} is missing in production, then startup fails naming it`, () => {
      const env: Record<string, string> = { ...productionEnv };
      delete env[variable];
      assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && error.message.includes(variable));
    });
  }

  it('when a value is malformed, then the error names the variable', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ PUBLIC_URL: 'not a url' }), /PUBLIC_URL/);
    assert.throws(() => loadConfig({ SESSION_STORE: 'mongo' }), /SESSION_STORE/);
    assert.throws(() => loadConfig({ SESSION_SECRET: 'short' }), /SESSION_SECRET/);
    assert.throws(() => loadConfig({ TOKEN_ENCRYPTION_KEY: 'dG9vIHNob3J0' }), /TOKEN_ENCRYPTION_KEY/);
    assert.throws(() => loadConfig({ UPSTREAM_TIMEOUT_MS: '-5' }), /UPSTREAM_TIMEOUT_MS/);
    // Above their defaults, a webhook's last try would come after the promised 24 hours.
    assert.throws(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '30000' }), /WEBHOOK_TIMEOUT_MS/);
    assert.throws(() => loadConfig({ WEBHOOK_BACKOFF_MS: '60000' }), /WEBHOOK_BACKOFF_MS/);
  });

  it('when production keeps tokens (Redis or the embedded store) without TOKEN_ENCRYPTION_KEY, then startup fails naming it', () => {
    const { TOKEN_ENCRYPTION_KEY: _key, ...withoutKey } = productionEnv;
    assert.throws(() => loadConfig({ ...withoutKey, SESSION_STORE: 'redis' }), /TOKEN_ENCRYPTION_KEY/);
    assert.throws(() => loadConfig(withoutKey), /TOKEN_ENCRYPTION_KEY is required in production: the embedded store/);
    assert.equal(loadConfig({ ...withoutKey, SESSION_STORE: 'memory' }).session.store, 'memory');
  });

  it('when SESSION_STORE is unset, then the embedded store keeps state under DATA_DIR, where imports go too; memory says nothing survives', () => {
    const config = loadConfig({});
    assert.equal(config.session.store, 'embedded');
    assert.equal(config.dataDir, './data');
    assert.equal(config.imports.destination, 'file:./data/imports');
    assert.equal(loadConfig({ DATA_DIR: '/var/lib/ppg/' }).imports.destination, 'file:/var/lib/ppg/imports');
    assert.ok(!config.warnings.some((w) => w.includes('SESSION_STORE=memory')));
    assert.ok(loadConfig({ SESSION_STORE: 'memory' }).warnings.some((w) => /SESSION_STORE=memory .*restart/.test(w)));
  });

  it('when ROLE is unset, then one process does both; a web or worker process starts only with Redis, and otherwise the refusal names ROLE and SESSION_STORE', () => {
    assert.equal(loadConfig({}).role, 'all');
    assert.equal(loadConfig({ ROLE: 'all', SESSION_STORE: 'memory' }).role, 'all');
    for (const role of ['web', 'worker']) {
      assert.equal(loadConfig({ ROLE: role, SESSION_STORE: 'redis' }).role, role);
      for (const env of [{ ROLE: role }, { ROLE: role, SESSION_STORE: 'memory' }, { ...productionEnv, ROLE: role }] as Record<string, string>[]) {
        assert.throws(() => loadConfig(env), (error: Error) =>
          error instanceof ConfigError && error.message.includes(`ROLE=${role} needs SESSION_STORE=redis`) &&
          error.message.includes(`it is ${env.SESSION_STORE ?? 'embedded'}`));
      }
    }
    assert.throws(() => loadConfig({ ROLE: 'copier', SESSION_STORE: 'redis' }), /ROLE/);
  });

  it('when PUBLIC_URL is https, then cookies are Secure with the __Host- prefix', () => {
    const config = loadConfig(productionEnv);
    assert.equal(config.secureCookies, true);
    assert.equal(config.session.cookieName, '__Host-sid');
    assert.equal(config.warnings.length, 0);
  });

  it('when PUBLIC_URL is https and TRUST_PROXY is unset, then production refuses to start naming TRUST_PROXY, and elsewhere it warns', () => {
    for (const trustProxy of [undefined, 'false', '0']) {
      const env = { ...productionEnv, TRUST_PROXY: trustProxy };
      assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && /TRUST_PROXY=1/.test(error.message));
      const development = loadConfig({ ...env, NODE_ENV: 'development' });
      assert.ok(development.warnings.some((w) => w.includes('TRUST_PROXY')), development.warnings.join('\n'));
    }
    assert.equal(loadConfig({ ...productionEnv, TRUST_PROXY: 'loopback' }).trustProxy, 'loopback');
  });

  it('when production runs on an http PUBLIC_URL, then it starts with a warning', () => {
    const config = loadConfig({ ...productionEnv, PUBLIC_URL: 'http://10.0.0.5:3000' });
    assert.equal(config.secureCookies, false);
    assert.equal(config.session.cookieName, 'sid');
    assert.ok(config.warnings.some((w) => w.includes('http')));
  });

  it('when SESSION_SECRET and TOKEN_ENCRYPTION_KEY hold several values, then all are kept in order (rotation)', () => {
    const key1 = Buffer.alloc(32, 1).toString('base64');
    const key2 = Buffer.alloc(32, 2).toString('base64');
    const config = loadConfig({ SESSION_SECRET: `${'n'.repeat(32)},${'o'.repeat(32)}`, TOKEN_ENCRYPTION_KEY: `${key1},${key2}` });
    assert.deepEqual(config.session.secrets, ['n'.repeat(32), 'o'.repeat(32)]);
    assert.equal(config.tokenKeys.length, 2);
    assert.equal(config.tokenKeys[0]![0], 1);
  });

  it('when TRUST_PROXY and MEDIA_HOSTS are set, then they are parsed', () => {
    const config = loadConfig({ TRUST_PROXY: '2', MEDIA_HOSTS: 'googleusercontent.com, .example.org' });
    assert.equal(config.trustProxy, 2);
    assert.deepEqual(config.mediaHosts, ['googleusercontent.com', 'example.org']);
  });

  it('when the service reads a variable, then .env.example and the README document it', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of ENV_VARIABLES) {
      assert.match(example, new RegExp(`^(# )?${name}=`, 'm'), `.env.example lacks ${name}`);
      assert.ok(readme.includes(`\`${name}\``), `README lacks ${name}`);
    }
  });

  it('when .env.example is loaded as it is, then the service starts on the emulator', () => {
    const example = parseEnv(readFileSync(new URL('../.env.example', import.meta.url), 'utf8'));
    const config = loadConfig(example);
    assert.ok(config.emulator, 'no Google client: the emulator stands in');
    assert.ok(config.google.authUrl.startsWith(config.emulator.url), config.google.authUrl);
    assert.ok(config.google.pickerApiUrl.startsWith(config.emulator.url), config.google.pickerApiUrl);
  });
});
