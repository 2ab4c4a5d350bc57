import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { S3Destination } from '../../../src/adapters/storage/s3-destination.ts';
import { isCreateUpload, openUploads, startS3Server, uploadIdOf, type S3Server } from '../../helpers/s3-server.ts';
import { destinationContract } from './destination-contract.ts';
import { readAll } from './generated-bytes.ts';

// The SDK's default provider chain reads these; the test server accepts any.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

function destinationOn(server: S3Server, prefix = 'deployment'): S3Destination {
  return new S3Destination({ bucket: server.bucket, prefix, region: 'us-east-1', endpoint: server.endpoint });
}

destinationContract('S3Destination', async () => {
  const server = await startS3Server();
  const destination = destinationOn(server);
  return {
    destination,
    leftovers: async () => openUploads(server.requests),
    close: async () => {
      destination.close();
      await server.close();
    },
  };
});

describe('S3Destination', () => {
  let server: S3Server;
  before(async () => {
    server = await startS3Server();
  });
  after(() => server.close());

  it('when the source fails after parts went out, then the multipart upload is aborted at the server', async () => {
    const destination = destinationOn(server, 'abort-check');
    const from = server.requests.length;
    const failure = new Error('the source broke');
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 3; i += 1) yield Buffer.alloc(8 * 1024 * 1024, i);
        throw failure;
      })(),
    );

    await assert.rejects(destination.put('broken.bin', source), failure);

    const seen = server.requests.slice(from);
    assert.equal(seen.filter(isCreateUpload).length, 1);
    assert.ok(seen.some((request) => request.method === 'DELETE' && uploadIdOf(request) && request.status === 204), JSON.stringify(seen));
    assert.deepEqual(openUploads(seen), []);
    destination.close();
  });

  it('when the server sheds load with 503 for a while, then the SDK retries and the object is written', async () => {
    const destination = destinationOn(server, 'retries');
    const from = server.requests.length;
    server.failNext(2);

    const stored = await destination.put('retried.txt', Readable.from([Buffer.from('worth the wait')]));

    assert.equal(stored.bytes, 14);
    const seen = server.requests.slice(from);
    assert.deepEqual(seen.map((request) => request.status).slice(0, 3), [503, 503, 200]);
    const content = await destination.get('retried.txt');
    assert.ok(content);
    assert.equal((await readAll(content.body)).toString(), 'worth the wait');
    destination.close();
  });

  it('when a prefix is configured, then keys live under it in the bucket and come back without it', async () => {
    const prefixed = destinationOn(server, 'tenant/one');
    const root = new S3Destination({ bucket: server.bucket, region: 'us-east-1', endpoint: server.endpoint });
    assert.equal(prefixed.description, `s3://${server.bucket}/tenant/one`);

    await prefixed.put('users/u1/a.txt', Readable.from([Buffer.from('a')]));

    assert.deepEqual(await prefixed.list('users/'), ['users/u1/a.txt']);
    assert.deepEqual(await root.list('tenant/'), ['tenant/one/users/u1/a.txt']);
    prefixed.close();
    root.close();
  });

  it('when the bucket does not exist, then put rejects naming the destination and the reason', async () => {
    const destination = new S3Destination({ bucket: 'no-such-bucket', region: 'us-east-1', endpoint: server.endpoint });
    await assert.rejects(destination.put('a.txt', Readable.from([Buffer.from('a')])), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'DESTINATION_UNAVAILABLE');
      assert.match(error.message, /s3:\/\/no-such-bucket cannot be written: NoSuchBucket \(HTTP 404\)/);
      return true;
    });
    destination.close();
  });

  it('when the bucket does not exist, then check rejects naming the destination and the reason', async () => {
    const destination = new S3Destination({ bucket: 'no-such-bucket', region: 'us-east-1', endpoint: server.endpoint });
    await assert.rejects(destination.check(), (error: Error & { code?: string; status?: number }) => {
      assert.equal(error.code, 'DESTINATION_UNAVAILABLE');
      assert.equal(error.status, 503);
      assert.match(error.message, /s3:\/\/no-such-bucket cannot be written: NoSuchBucket \(HTTP 404\)/);
      return true;
    });
    destination.close();
  });
});
