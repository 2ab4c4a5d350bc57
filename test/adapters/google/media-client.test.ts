import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../../src/errors.ts';
import { createMediaClient, mediaFailure } from '../../../src/adapters/google/media-client.ts';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.ts';

const MiB = 1024 * 1024;
const media = createMediaClient({ timeoutMs: 5_000 });

/** A deterministic byte pattern, so both sides can check it without keeping it whole. */
const chunkOf = (index: number) => Buffer.alloc(MiB, index % 251);

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('the media client', () => {
  let google: StandInServer;
  let base: string;
  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  let seen: IncomingMessage[];

  before(async () => {
    google = await startStandInServer((req, res) => {
      seen.push(req);
      handle(req, res);
    });
    base = google.base;
  });
  after(() => google.close());
  beforeEach(() => {
    seen = [];
  });

  it('when a 64 MiB item is opened, then its bytes arrive intact, streamed while Google is still sending', async () => {
    let sent = 0;
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(64 * MiB) });
      Readable.from((function* () {
        for (let i = 0; i < 64; i++) {
          sent += MiB;
          yield chunkOf(i);
        }
      })()).pipe(res);
    };
    const expected = createHash('sha256');
    for (let i = 0; i < 64; i++) expected.update(chunkOf(i));

    const response = await media.open(new URL(`${base}/lh/video=dv`), 'token');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-length'], String(64 * MiB));
    const received = createHash('sha256');
    let length = 0;
    let sentAtFirstChunk: number | undefined;
    for await (const chunk of response.body) {
      sentAtFirstChunk ??= sent;
      received.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    assert.equal(length, 64 * MiB);
    assert.equal(received.digest('hex'), expected.digest('hex'));
    assert.ok(sentAtFirstChunk! < 16 * MiB, `the first bytes arrived after Google had sent ${sentAtFirstChunk! / MiB} MiB`);
  });

  it('when the client asks for a byte range, then it reaches Google and 206 comes back with those bytes', async () => {
    const whole = Buffer.from('0123456789abcdefghij');
    handle = (req, res) => {
      const [, first, last] = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') ?? [];
      if (!first) return res.end(whole);
      res.writeHead(206, { 'content-range': `bytes ${first}-${last}/${whole.length}` });
      res.end(whole.subarray(Number(first), Number(last) + 1));
    };
    const response = await media.open(new URL(`${base}/lh/photo=d`), 'token', { range: 'bytes=5-9' });
    assert.equal(response.status, 206);
    assert.equal(response.headers['content-range'], 'bytes 5-9/20');
    assert.equal((await readAll(response.body)).toString(), '56789');
  });

  it('when the Range is not one well-formed byte range, then none is sent and open-ended and suffix ranges are', async () => {
    handle = (_req, res) => res.end('x');
    const sent = async (range: string) => {
      seen = [];
      await readAll((await media.open(new URL(`${base}/lh/photo=d`), 'token', { range })).body);
      return seen[0]!.headers.range;
    };
    for (const malformed of ['bytes=9-5', 'bytes=-', 'bytes=0-1,5-6', 'items=0-1', 'bytes=0-1\r\nx-evil: 1']) {
      assert.equal(await sent(malformed), undefined, malformed);
    }
    for (const wellFormed of ['bytes=0-0', 'bytes=100-', 'bytes=-500']) assert.equal(await sent(wellFormed), wellFormed);
  });

  it('when HEAD is asked for, then Google gets a HEAD and the body is empty', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '1000' });
      res.end();
    };
    const response = await media.open(new URL(`${base}/lh/photo=d`), 'token', { method: 'HEAD' });
    assert.equal(seen[0]!.method, 'HEAD');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-length'], '1000');
    assert.equal((await readAll(response.body)).length, 0);
  });

  it('when it opens an item, then the bearer token reaches Google', async () => {
    handle = (_req, res) => res.end('x');
    await readAll((await media.open(new URL(`${base}/lh/photo=d`), 'ya29.token')).body);
    assert.equal(seen[0]!.headers.authorization, 'Bearer ya29.token');
  });

  it('when Google answers with a redirect, then the 302 comes back as is and is not followed', async () => {
    handle = (_req, res) => {
      res.writeHead(302, { location: `${base}/elsewhere` });
      res.end();
    };
    const response = await media.open(new URL(`${base}/lh/photo=d`), 'token');
    await readAll(response.body);
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, `${base}/elsewhere`);
    assert.deepEqual(seen.map((req) => req.url), ['/lh/photo=d']);
  });

  // undici checks its header and body timers about twice a second: a timeout fires up to a second late.
  const TIMER_RESOLUTION_MS = 1_000;

  it('when Google never answers, then 504 DEADLINE_EXCEEDED once the timeout has passed', async () => {
    handle = () => undefined;
    const started = performance.now();
    await assert.rejects(createMediaClient({ timeoutMs: 200 }).open(new URL(`${base}/lh/hang=d`), 'token'), (error: AppError) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.status, 504);
      assert.equal(error.code, 'DEADLINE_EXCEEDED');
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 200 && elapsed < 200 + TIMER_RESOLUTION_MS + 300, `gave up after ${Math.round(elapsed)} ms`);
  });

  it('when Google stops sending mid-body, then the body stream fails once the timeout has passed', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(100));
    };
    const response = await createMediaClient({ timeoutMs: 200 }).open(new URL(`${base}/lh/stall=d`), 'token');
    assert.equal(response.status, 200);
    await assert.rejects(readAll(response.body));
  });

  it('when Google cuts the connection mid-body, then the body stream fails', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(100), () => res.destroy());
    };
    const response = await media.open(new URL(`${base}/lh/cut=d`), 'token');
    assert.equal(response.status, 200);
    await assert.rejects(readAll(response.body));
  });

  it('when the signal aborts mid-body, then the connection to Google closes at once and the body fails with the reason', async () => {
    let upstreamClosed!: Promise<unknown>;
    handle = (req, res) => {
      // Not events.once: the socket may first emit ECONNRESET, which once() would turn into a rejection.
      upstreamClosed = new Promise((resolve) => req.socket.once('close', resolve));
      res.writeHead(200, { 'content-length': String(64 * MiB) });
      res.write(chunkOf(0));
    };
    const controller = new AbortController();
    const response = await media.open(new URL(`${base}/lh/video=dv`), 'token', { signal: controller.signal });
    const reader = response.body[Symbol.asyncIterator]();
    await reader.next();
    const reason = new Error('the client went away');
    controller.abort(reason);
    await Promise.race([
      upstreamClosed,
      delay(50).then(() => assert.fail('Google still had the connection open 50 ms after the abort')),
    ]);
    await assert.rejects(reader.next(), (error) => error === reason);
  });

  it('when the signal aborts before Google answers, then open rejects with the abort reason', async () => {
    handle = () => undefined;
    const controller = new AbortController();
    const opened = media.open(new URL(`${base}/lh/slow=d`), 'token', { signal: controller.signal });
    const reason = new Error('the client went away');
    await once(google.server, 'request');
    controller.abort(reason);
    await assert.rejects(opened, (error) => error === reason);
  });

  it('when Google cannot be reached, then 502 UNAVAILABLE', async () => {
    const gone = await startStandInServer(() => undefined);
    gone.close();
    await assert.rejects(media.open(new URL(`${gone.base}/lh/photo=d`), 'token'), (error: AppError) => {
      assert.equal(error.status, 502);
      assert.equal(error.code, 'UNAVAILABLE');
      return true;
    });
  });
});

describe('a refused media answer', () => {
  for (const [status, expected] of [
    [404, { status: 404, code: 'NOT_FOUND', messageKey: 'error.notFound' }],
    [401, { status: 401, code: 'UNAUTHENTICATED', messageKey: 'error.signedOutByGoogle' }],
    [403, { status: 403, code: 'PERMISSION_DENIED', messageKey: 'error.permissionDenied' }],
    [500, { status: 502, code: 'UNAVAILABLE', messageKey: 'error.googleUnavailable' }],
    [503, { status: 502, code: 'UNAVAILABLE', messageKey: 'error.googleUnavailable' }],
    [400, { status: 502, code: 'UNAVAILABLE', messageKey: 'error.googleUnavailable' }],
    [302, { status: 502, code: 'UNAVAILABLE', messageKey: 'error.googleUnavailable' }],
  ] as const) {
    it(`when Google answers ${status}, then ${expected.status} ${expected.code}`, () => {
      const error = mediaFailure(status, {});
      assert.deepEqual({ status: error.status, code: error.code, messageKey: error.messageKey }, expected);
    });
  }

  it('when Google answers 429, then 429 RESOURCE_EXHAUSTED says Google is busy, waiting for its Retry-After', () => {
    const error = mediaFailure(429, { 'retry-after': '12' });
    assert.equal(error.status, 429);
    assert.equal(error.code, 'RESOURCE_EXHAUSTED');
    assert.equal(error.messageKey, 'error.mediaBusy');
    assert.equal(error.retryAfterSeconds, 12);
  });

  it('when Google answers 429 without Retry-After, then the client is asked to wait 30 seconds', () => {
    assert.equal(mediaFailure(429, {}).retryAfterSeconds, 30);
  });
});
