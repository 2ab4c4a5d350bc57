import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDestination } from '../../../src/adapters/storage/destinations.ts';
import { loadConfig } from '../../../src/config.ts';

/** The least production accepts (an http PUBLIC_URL only warns). */
const production = { NODE_ENV: 'production', GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret', SESSION_SECRET: 's'.repeat(32), TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') };

const options = { s3Region: 'us-east-1', cwd: '/srv/gateway' };
const isInvalidDestination = (error: unknown) => (error as { code?: string }).code === 'INVALID_DESTINATION';

describe('createDestination', () => {
  it('when the spec is a relative file: path, then the folder is under the working directory', () => {
    assert.equal(createDestination('file:./data/imports', options).description, 'file:/srv/gateway/data/imports');
  });

  it('when the spec is an absolute file: path, then it is used as it is', () => {
    assert.equal(createDestination('file:/var/lib/imports', options).description, 'file:/var/lib/imports');
  });

  it('when the spec is s3:// with or without a prefix, then the bucket and prefix are described without credentials', () => {
    assert.equal(createDestination('s3://photos-bucket', options).description, 's3://photos-bucket');
    assert.equal(createDestination('s3://photos-bucket/tenant/a/', { ...options, s3Endpoint: 'http://minio:9000' }).description, 's3://photos-bucket/tenant/a');
  });

  for (const spec of ['ftp://host/path', '/var/lib/imports', 'file:', 's3://', 's3://Bad_Bucket/x', 's3://ab', 'S3://bucket']) {
    it(`when the spec is ${JSON.stringify(spec)}, then it is refused with a message naming IMPORT_DESTINATION`, () => {
      assert.throws(() => createDestination(spec, options), (error: Error) => isInvalidDestination(error) && /IMPORT_DESTINATION/.test(error.message));
    });
  }
});

describe('config: imports', () => {
  it('when nothing is set outside production, then imports go to ./data/imports with the contract defaults', () => {
    assert.deepEqual(loadConfig({}).imports, { destination: 'file:./data/imports', s3Region: 'us-east-1', concurrency: 4, attempts: 5, backoffMs: 2_000, maxQueuedPerOwner: 10_000, minFreeBytes: 1024 * 1024 * 1024 });
    assert.equal(
      createDestination(loadConfig({}).imports.destination ?? '', { s3Region: 'us-east-1', cwd: '/srv' }).description,
      `file:${join('/srv', 'data/imports')}`,
    );
  });

  it('when nothing is set in production, then imports are off', () => {
    assert.equal(loadConfig(production).imports.destination, null);
  });

  it('when every import variable is set, then config carries them', () => {
    const config = loadConfig({
      ...production,
      IMPORT_DESTINATION: 's3://photos/imports',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-central-1',
      IMPORT_CONCURRENCY: '8',
      IMPORT_ATTEMPTS: '3',
      IMPORT_BACKOFF_MS: '500',
      IMPORT_MIN_FREE_MB: '64',
      IMPORT_MAX_QUEUED_PER_OWNER: '500',
    });
    assert.deepEqual(config.imports, {
      destination: 's3://photos/imports',
      s3Endpoint: 'http://minio:9000',
      s3Region: 'eu-central-1',
      concurrency: 8,
      maxQueuedPerOwner: 500,
      attempts: 3,
      backoffMs: 500,
      minFreeBytes: 64 * 1024 * 1024,
    });
  });

  it('when IMPORT_DESTINATION is off, then imports are off even outside production', () => {
    assert.equal(loadConfig({ IMPORT_DESTINATION: 'off' }).imports.destination, null);
  });

  it('when an import variable is malformed, then the error names it', () => {
    assert.throws(() => loadConfig({ IMPORT_DESTINATION: 'ftp://somewhere' }), /IMPORT_DESTINATION/);
    assert.throws(() => loadConfig({ S3_ENDPOINT: 'minio:9000' }), /S3_ENDPOINT/);
    assert.throws(() => loadConfig({ S3_REGION: 'EU Central' }), /S3_REGION/);
    assert.throws(() => loadConfig({ IMPORT_CONCURRENCY: '0' }), /IMPORT_CONCURRENCY/);
    assert.throws(() => loadConfig({ IMPORT_ATTEMPTS: 'many' }), /IMPORT_ATTEMPTS/);
  });
});
