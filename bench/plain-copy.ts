/**
 * The reference point for the import profile: the least a script can do to land
 * a picked session's items in a folder or a bucket. It follows the session as
 * any client of the Picker API must (sessions.get once per pollInterval until
 * the items are set), lists them, and downloads them straight into the
 * destination, CONCURRENCY at a time, with a bearer token of the same account:
 * a node:http download piped into an fs write stream, or handed to
 * lib-storage's Upload with its defaults. No previews, manifest, state,
 * retries or fsync; a SHA-256 of each item only when the job asks (`digest`),
 * the second reference: the least that gives what the gateway's contract does.
 *
 * It waits for work on a small control server: `POST /copy {sessionId, to:
 * 'file' | 's3', folder, digest?}` answers `{items, bytes}` once every item is
 * written.
 * Env: EMULATOR_URL, TOKEN, CONCURRENCY, FILE_ROOT, S3_ENDPOINT, S3_BUCKET
 * (with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). Prints {url} when ready.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline as streamPipeline, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { callJson, inParallel } from './http-call.ts';

const emulatorUrl = process.env.EMULATOR_URL!;
const authorization = `Bearer ${process.env.TOKEN!}`;
const concurrency = Number(process.env.CONCURRENCY ?? 4);
const fileRoot = process.env.FILE_ROOT!;
const bucket = process.env.S3_BUCKET ?? '';
const s3 = process.env.S3_ENDPOINT ? new S3Client({ region: 'us-east-1', endpoint: process.env.S3_ENDPOINT, forcePathStyle: true }) : undefined;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Job { sessionId: string; to: 'file' | 's3'; folder: string; digest?: boolean }
interface PickedItem { id: string; type: string; mediaFile: { baseUrl: string; filename: string } }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pickedItems(sessionId: string): Promise<PickedItem[]> {
  for (;;) {
    const session = await callJson<{ mediaItemsSet: boolean; pollingConfig?: { pollInterval?: string } }>(agent, `${emulatorUrl}/v1/sessions/${sessionId}`, { headers: { authorization } });
    if (session.mediaItemsSet) break;
    await sleep(Number.parseFloat(session.pollingConfig?.pollInterval ?? '5') * 1000);
  }
  const items: PickedItem[] = [];
  let pageToken = '';
  do {
    const page = await callJson<{ mediaItems: PickedItem[]; nextPageToken?: string }>(agent,
      `${emulatorUrl}/v1/mediaItems?sessionId=${sessionId}&pageSize=100${pageToken ? `&pageToken=${pageToken}` : ''}`, { headers: { authorization } });
    items.push(...page.mediaItems);
    pageToken = page.nextPageToken ?? '';
  } while (pageToken);
  return items;
}

function download(item: PickedItem): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = `${item.mediaFile.baseUrl}=${item.type === 'VIDEO' ? 'dv' : 'd'}`;
    http.get(url, { agent, headers: { authorization } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`${url} answered ${response.statusCode}`));
      } else resolve(response);
    }).on('error', reject);
  });
}

async function copy(job: Job): Promise<{ items: number; bytes: number }> {
  const items = await pickedItems(job.sessionId);
  if (job.to === 'file') await mkdir(join(fileRoot, job.folder), { recursive: true });
  const sizes = await inParallel(items, concurrency, async (item) => {
    const response = await download(item);
    const hash = job.digest ? createHash('sha256') : undefined;
    // The digest as the gateway takes it: a transform the bytes pass through on their way to the destination.
    const body = hash ? streamPipeline(response, new Transform({ transform: (chunk: Buffer, _encoding, done) => done(null, hash.update(chunk) && chunk) }), () => {}) : response;
    if (job.to === 'file') await pipeline(body, createWriteStream(join(fileRoot, job.folder, item.mediaFile.filename)));
    else await new Upload({ client: s3!, params: { Bucket: bucket, Key: `${job.folder}/${item.mediaFile.filename}`, Body: body } }).done();
    hash?.digest('hex');
    return Number(response.headers['content-length']);
  });
  return { items: items.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    copy(JSON.parse(Buffer.concat(chunks).toString()) as Job).then(
      (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
