/**
 * Media bytes at baseUrls: `<baseUrl>=d`, `=w400`, `=h300`, `=w400-h300`,
 * `=w256-h256-c`, `=dv`. Every request needs the owner's bearer token with
 * the picker scope; baseUrls die after baseUrlTtlSeconds. Range is honoured
 * (with If-Range: a validator that no longer matches gets the whole, as HTTP
 * says), bytes are deterministic, the ETag names their version, and a client
 * that hangs up is noted in the log, with the bytes it was sent.
 * Bodies go out no faster than the mediaBytesPerSecond knob allows, read as
 * they go, so a test can hold a download mid-way and let it go on.
 */
import { readFileSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Router, type Request, type Response } from 'express';
import { bearer } from './google-errors.ts';
import { renderPicture, type Box } from './png.ts';
import { PICKER_SCOPE, type EmulatorState, type LibraryItem } from './state.ts';

const DEMO_VIDEO_URL = new URL('./assets/demo.mp4', import.meta.url);
const PATTERN_BYTES = 1024 * 1024;
const CACHE_ENTRIES = 64;
/** A paced body goes out in slices this big. */
const PACED_SLICE_BYTES = 16 * 1024;
/** How often a paced body that waits looks at the rate again (a test may raise it, or lift it). */
const PACE_RECHECK_MS = 100;

/**
 * The bytes a synthetic large video has at every position: a fixed 1 MiB pattern, repeated, starting at a point of
 * the pattern that differs from one video to the next (so no two have the same bytes or digest).
 */
const pattern = (() => {
  const buffer = Buffer.alloc(PATTERN_BYTES);
  let x = 0x2545f491;
  for (let i = 0; i < PATTERN_BYTES; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    buffer[i] = x & 0xff;
  }
  return buffer;
})();

export interface Parameters {
  download: 'image' | 'video';
  box: Box;
}

/** Parses Google's parameter grammar after the last '=' of the URL; undefined when it is not valid. */
export function parseParameters(text: string): Parameters | undefined {
  const box: Box = {};
  let download: 'image' | 'video' = 'image';
  for (const part of text.split('-')) {
    if (part === 'd') continue;
    if (part === 'dv') download = 'video';
    else if (part === 'c') box.crop = true;
    else if (/^w\d{1,5}$/.test(part)) box.width = Number(part.slice(1));
    else if (/^h\d{1,5}$/.test(part)) box.height = Number(part.slice(1));
    else return undefined;
  }
  if ((box.width === 0) || (box.height === 0)) return undefined;
  return { download, box };
}

export class MediaRenderer {
  readonly #cache = new Map<string, Buffer>();
  #demoVideo: Buffer | undefined;

  picture(item: LibraryItem, box: Box, poster: boolean): Buffer {
    const key = `${item.id}:${box.width ?? ''}:${box.height ?? ''}:${box.crop ? 'c' : ''}:${poster ? 'p' : ''}`;
    let png = this.#cache.get(key);
    if (png) {
      this.#cache.delete(key); // refresh its place in the LRU order
    } else {
      png = renderPicture(item.index + 1, item, box, poster);
    }
    this.#cache.set(key, png);
    if (this.#cache.size > CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    return png;
  }

  demoVideo(): Buffer {
    this.#demoVideo ??= readFileSync(DEMO_VIDEO_URL);
    return this.#demoVideo;
  }
}

/** A single `bytes=` range against `size`: the slice, 'unsatisfiable', or undefined for the whole. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = header.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Odd, so against the 1 MiB pattern every variant below 2^20 starts at a point of its own. */
const VARIANT_SHIFT = 7_919;

function syntheticStream(variant: number, start: number, end: number): Readable {
  let position = start;
  const shift = variant * VARIANT_SHIFT;
  return new Readable({
    read() {
      if (position > end) return void this.push(null);
      const offset = (position + shift) % PATTERN_BYTES;
      const length = Math.min(PATTERN_BYTES - offset, end - position + 1);
      position += length;
      this.push(pattern.subarray(offset, offset + length));
    },
  });
}

/** Counts the body's bytes into the log entry, and cuts the connection once `cutAfter` of them have gone (0: never). */
function counted(res: Response, cutAfter: number): Transform {
  res.locals.bodyBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const sent = res.locals.bodyBytes as number;
      if (cutAfter > 0 && sent + chunk.length >= cutAfter) {
        res.locals.bodyBytes = cutAfter;
        this.push(chunk.subarray(0, cutAfter - sent));
        // The connection ends once the bytes before the cut have gone (end, not destroy: a reset would discard what
        // still sits in the sockets' buffers), short of the length announced, as a connection that breaks does.
        res.socket?.end();
        return;
      }
      res.locals.bodyBytes = sent + chunk.length;
      done(null, chunk);
    },
  });
}

/** The body at `rate()` bytes a second at most (0: unpaced); a change of rate starts a new reckoning from now. */
function paced(rate: () => number): Transform {
  let since = Date.now();
  let sent = 0;
  let reckonedRate = rate();
  return new Transform({
    async transform(chunk: Buffer, _encoding, done) {
      for (let offset = 0; offset < chunk.length && !this.destroyed;) {
        // Unpaced, a chunk goes on whole: the benchmark's large videos pay nothing for the knob.
        const slice = chunk.subarray(offset, rate() > 0 ? offset + PACED_SLICE_BYTES : chunk.length);
        offset += slice.length;
        this.push(slice);
        sent += slice.length;
        for (;;) {
          const current = rate();
          if (current !== reckonedRate) [reckonedRate, since, sent] = [current, Date.now(), 0];
          const wait = current > 0 ? since + (sent / current) * 1000 - Date.now() : 0;
          if (wait <= 0 || this.destroyed) break;
          await sleep(Math.min(wait, PACE_RECHECK_MS));
        }
      }
      done();
    },
  });
}

export interface MediaKnobs {
  mediaBytesPerSecond: number;
  mediaCutAfterBytes: number;
}

async function send(
  req: Request, res: Response, type: string, size: number, etag: string, body: (start: number, end: number) => Readable | Buffer, knobs: MediaKnobs,
) {
  const rate = () => knobs.mediaBytesPerSecond;
  const ifRange = req.get('if-range');
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.get('range'), size) : undefined;
  res.set({ 'Accept-Ranges': 'bytes', ETag: etag, 'Cache-Control': 'private, max-age=3600' });
  res.setHeader('Content-Type', type); // as given: express's res.set would add a charset to a text type
  if (range === 'unsatisfiable') {
    res.status(416).set('Content-Range', `bytes */${size}`).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.status(range ? 206 : 200).set('Content-Length', String(end - start + 1));
  if (range) res.set('Content-Range', `bytes ${start}-${end}/${size}`);
  if (req.method === 'HEAD') return void res.end();
  const content = body(start, end);
  const cutAfter = knobs.mediaCutAfterBytes;
  knobs.mediaCutAfterBytes = 0;
  if (Buffer.isBuffer(content) && rate() === 0 && cutAfter === 0) {
    res.locals.bodyBytes = content.length;
    return void res.end(content);
  }
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  await pipeline(source, counted(res, cutAfter), paced(rate), res).catch(() => undefined); // the client hung up: nothing more to send
}

/** The knobs are read at the moment each request is served. */
export function mediaRoutes(state: EmulatorState, renderer: MediaRenderer, knobs: MediaKnobs): Router {
  const router = Router();

  router.get('/lh/:path', async (req, res) => {
    const path = req.params.path;
    const cut = path.indexOf('=');
    if (cut === -1) return res.status(400).type('text/plain').send('A baseUrl needs parameters such as =d or =w400-h300.');
    const grant = state.mediaGrants.get(path.slice(0, cut));
    const access = state.validToken(bearer(req));
    const session = grant ? state.sessions.get(grant.sessionId) : undefined;
    const allowed = grant && access && access.grant.account === grant.owner && access.grant.scopes.includes(PICKER_SCOPE) &&
      grant.expiresAt > Date.now() && session && !session.deleted && session.expireAt > Date.now();
    if (!allowed) return res.status(403).type('text/plain').send('Forbidden');
    const parameters = parseParameters(path.slice(cut + 1));
    if (!parameters) return res.status(400).type('text/plain').send('Unsupported image parameters.');
    const item = state.item(grant.owner, grant.itemId)!;
    const etag = `"${item.id}-${path.slice(cut + 1)}-${item.syntheticVariant ?? 0}"`;
    const own = item.bytes;
    if (own && (parameters.download !== 'video' || item.type === 'VIDEO')) {
      // Bytes of its own, whatever they are, with the type Google reports for them: no picture is drawn for it.
      return send(req, res, item.mimeType, own.length, etag, (start, end) => own.subarray(start, end + 1), knobs);
    }

    if (parameters.download === 'video') {
      if (item.type !== 'VIDEO') return res.status(400).type('text/plain').send('=dv is only for videos.');
      if (item.processingStatus !== 'READY') return res.status(404).type('text/plain').send('The video is not ready yet.');
      if (item.syntheticBytes !== undefined) {
        const variant = item.syntheticVariant ?? 0;
        return send(req, res, 'video/mp4', item.syntheticBytes, etag, (start, end) => syntheticStream(variant, start, end), knobs);
      }
      const video = renderer.demoVideo();
      return send(req, res, 'video/mp4', video.length, etag, (start, end) => video.subarray(start, end + 1), knobs);
    }
    const png = renderer.picture(item, parameters.box, item.type === 'VIDEO');
    return send(req, res, 'image/png', png.length, etag, (start, end) => png.subarray(start, end + 1), knobs);
  });

  return router;
}
