import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { directAccessToken } from '@photos-picker-gateway/google-emulator';
import { createPickerSession, eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { importEnded } from '../../helpers/imports.ts';
import { isCreateUpload, openUploads, startS3Server, type S3Server } from '../../helpers/s3-server.ts';

// The SDK's default provider chain reads these, in the gateway as here; the test server accepts any.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const MIB = 1024 * 1024;
/** Well above the S3 destination's 5 MiB part: the large video goes up as a multipart upload of several parts. */
const LARGE_VIDEO_BYTES = 20 * MIB;
const PREFIX = 'tenant/photos';
/** Two photos, a small video and the large one: the whole library. */
const LIBRARY_SIZE = 3;
const PICKED = LIBRARY_SIZE + 1;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface ManifestItem {
  id: string; key: string; previewKey: string; filename: string; mimeType: string | null; type: string;
  bytes: number; sha256: string | null; status: string; error: string | null;
}
interface Manifest { pickingSessionId: string; owner: string; status: string; completedAt: string; items: ManifestItem[] }

/** Each library item's original bytes, read straight from the emulator through a Picker session of the test's own. */
async function originalsAtGoogle(h: Harness, account: string): Promise<Map<string, Buffer>> {
  const token = await directAccessToken(h.emulator, account);
  const headers = { authorization: `Bearer ${token}` };
  const session = (await (await fetch(`${h.emulator.url}/v1/sessions`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };
  h.emulator.pick(session.id, { count: PICKED });
  const { mediaItems } = (await (await fetch(`${h.emulator.url}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, { headers })).json()) as {
    mediaItems: Array<{ id: string; type: string; mediaFile: { baseUrl: string } }>;
  };
  const originals = new Map<string, Buffer>();
  for (const item of mediaItems) {
    const answer = await fetch(`${item.mediaFile.baseUrl}=${item.type === 'VIDEO' ? 'dv' : 'd'}`, { headers });
    assert.equal(answer.status, 200);
    originals.set(item.id, Buffer.from(await answer.arrayBuffer()));
  }
  return originals;
}

describe('imports over HTTP, into an S3 bucket', () => {
  let s3: S3Server;
  let h: Harness;
  let client: Client;
  let bucket: S3Client;

  before(async () => {
    s3 = await startS3Server();
    h = await startHarness({
      env: { IMPORT_DESTINATION: `s3://${s3.bucket}/${PREFIX}`, S3_ENDPOINT: s3.endpoint, IMPORT_BACKOFF_MS: '50' },
      emulator: { knobs: { pollIntervalSeconds: 1 }, librarySize: LIBRARY_SIZE, largeVideoBytes: LARGE_VIDEO_BYTES },
    });
    client = await h.signedInClient();
    bucket = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
  });
  after(async () => {
    bucket.destroy();
    await h.close();
    await s3.close();
  });

  async function objectsUnder(prefix: string): Promise<Map<string, Buffer>> {
    const objects = new Map<string, Buffer>();
    for await (const page of paginateListObjectsV2({ client: bucket }, { Bucket: s3.bucket, Prefix: prefix })) {
      for (const { Key } of page.Contents ?? []) {
        const answer = await bucket.send(new GetObjectCommand({ Bucket: s3.bucket, Key }));
        objects.set(Key!, Buffer.from(await answer.Body!.transformToByteArray()));
      }
    }
    return objects;
  }

  it('when a session with a large video is picked, then every item lands whole under the prefix with its preview and a manifest, and no multipart upload stays open', async () => {
    const originals = await originalsAtGoogle(h, 'alice@example.com');
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count: PICKED });

    const state = await importEnded(client, id, 60_000);
    assert.equal(state.status, 'done', JSON.stringify(state.items.map((item) => item.error)));
    assert.ok(!('destination' in state) && !JSON.stringify(state).includes(s3.bucket), 'the storage location is for operators');
    assert.equal(state.items.length, PICKED);

    const manifestKey = state.manifestKey!;
    const owner = manifestKey.split('/').slice(0, 2).join('/');
    assert.match(owner, /^users\/[A-Za-z0-9_-]+$/);
    const folder = `${PREFIX}/${owner}/${id}/`;
    const objects = await objectsUnder(`${PREFIX}/`);
    const manifest = JSON.parse(objects.get(`${PREFIX}/${manifestKey}`)!.toString()) as Manifest;
    assert.equal(manifest.pickingSessionId, id);
    assert.equal(manifest.owner, owner);
    assert.equal(manifest.status, 'done');
    assert.ok(Date.parse(manifest.completedAt) > 0);
    assert.doesNotMatch(JSON.stringify(manifest), /@example\.com|Bearer|ya29\.|\/lh\//, 'no email, token or Google URL');
    assert.deepEqual(
      [...objects.keys()].sort(),
      [`${PREFIX}/${manifestKey}`, ...manifest.items.flatMap((item) => [`${PREFIX}/${item.key}`, `${PREFIX}/${item.previewKey}`])].sort(),
      'the items, their previews and the manifest, nothing else',
    );
    assert.ok([...objects.keys()].every((key) => key.startsWith(folder)), `all under ${folder}`);

    assert.deepEqual(manifest.items.map((item) => item.id).sort(), [...originals.keys()].sort());
    for (const item of manifest.items) {
      const stored = objects.get(`${PREFIX}/${item.key}`)!;
      const original = originals.get(item.id)!;
      assert.equal(item.status, 'done');
      assert.equal(item.error, null);
      assert.equal(item.bytes, original.length);
      assert.equal(item.sha256, sha256(original), `${item.filename}: the manifest's digest is the original's`);
      assert.equal(sha256(stored), sha256(original), `${item.filename}: the stored bytes are the original's`);
      assert.equal(state.items.find((listed) => listed.id === item.id)?.sha256, item.sha256);
      assert.ok(objects.get(`${PREFIX}/${item.previewKey}`)!.length > 0, `${item.filename}: a preview beside it`);
    }

    const large = manifest.items.find((item) => item.bytes === LARGE_VIDEO_BYTES)!;
    const largeUploads = s3.requests.filter((request) => isCreateUpload(request) && request.url.includes(encodeURI(large.filename)));
    assert.equal(largeUploads.length, 1, 'the large video went up as one multipart upload');
    assert.deepEqual(openUploads(s3.requests), [], 'every multipart upload was completed or aborted');
    await eventually(() => h.emulator.sessionsOf('alice@example.com').find((s) => s.id === id)?.deleted, 'the Picker session is deleted at Google');
  });
});
